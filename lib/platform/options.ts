// The parsers every option of the package goes through: one for numbers, one for on/off, one for a choice.
// Each workflow (client, list, kick, await, find) owns its options with these: an `XOptions` type, its
// `DEFAULTS`, and `parseXOptions(raw)`. Values come from code or from a flow file (numbers as text, as editors
// save them); a bad one is an 'invalid-input' naming the field, before anything is sent.
import { invalidInput } from './errors';

/** A short, printable excerpt of a bad value for an error message (never the whole thing). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value.trim() === '') return 'an empty string';
    // eslint-disable-next-line no-control-regex
    const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
    return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 37)}...` : clean);
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Not given: undefined, null, or a blank text (an editor field left empty). */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

export interface NumberRule {
  /** The smallest value allowed (inclusive, unless `above` is set). */
  min: number;
  /** min is excluded: the value must be greater than it (e.g. a timeout > 0). */
  above?: boolean;
  max?: number;
  integer?: boolean;
  /** Shown in the message: "a number of seconds". */
  unit?: string;
  /** What an absent value means; without it an absent value is refused. */
  default?: number;
}

/** Decimal text only, as a person types it ("30", " 2.5 ", "+7"): no exponent, hex, sign games or "Infinity". */
const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** A number option: a number or its decimal text. Absent -> the rule's default (or refused without one). */
export function parseNumber(value: unknown, field: string, rule: NumberRule): number {
  if (isAbsent(value) && rule.default !== undefined) return rule.default;
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL_RE.test(value.trim())) n = Number(value.trim());
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const tooSmall = n !== undefined && (rule.above ? n <= rule.min : n < rule.min);
  if (n === undefined || !Number.isFinite(n) || tooSmall || n > max || (rule.integer && !Number.isInteger(n))) {
    const low = `${rule.above ? '>' : '>='} ${rule.min}`;
    const range = rule.max === undefined ? low : rule.above ? `${low} and at most ${rule.max}` : `from ${rule.min} to ${rule.max}`;
    const what = `${rule.integer ? 'an integer' : 'a number'}${rule.unit ? ` of ${rule.unit}` : ''}`;
    throw invalidInput(field, `must be ${what} ${range}, got ${typeof value === 'number' ? value : describe(value)}`);
  }
  return n;
}

/**
 * An on/off option as a flow file may hold it: a boolean, or the text "true"/"false" (any case, trimmed), as
 * tools and the Admin API write them. Absent: the default. Anything else ("yes", "1", "TRUE!") is refused
 * naming the option: a safety option must never be read as "off" by accident.
 */
export function parseFlag(value: unknown, field: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  throw invalidInput(field, `must be true or false, got ${describe(value)}`);
}

/** One of `choices` (compared trimmed; `ignoreCase` also in any case). Absent: the default. */
export function parseChoice<T extends string>(value: unknown, field: string, choices: readonly T[], dflt: T, ignoreCase = false): T {
  if (value === undefined || value === null || value === '') return dflt;
  const text = typeof value === 'string' ? (ignoreCase ? value.trim().toLowerCase() : value.trim()) : undefined;
  const found = choices.find((c) => c === text);
  if (found === undefined) throw invalidInput(field, `must be one of ${choices.join(', ')}, got ${describe(value)}`);
  return found;
}

/** The flags of `defaults` read from `raw` (each refused on its own, naming it). */
export function parseFlags<K extends string>(raw: Record<string, unknown>, defaults: Record<K, boolean>): Record<K, boolean> {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as K[]) out[key] = parseFlag(raw[key], key, defaults[key]);
  return out;
}
