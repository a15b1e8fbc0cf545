// Input validation shared by every node. Runs before any request: a value that fails here never reaches
// Genesys (a UUID check also stops path injection such as `../../users`). Error messages name the field and
// show at most a short, sanitised excerpt of the bad value.
import { invalidInput } from '../platform/errors';
import { describe, parseNumber, type NumberRule } from '../platform/options';

export { parseFlag } from '../platform/options';

/** Genesys ids are UUIDs (any version, any case). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `purpose` values seen on real participants (docs/platform.md section 3). */
export const KNOWN_PURPOSES: ReadonlySet<string> = new Set([
  'customer',
  'external',
  'agent',
  'user',
  'acd',
  'ivr',
  'voicemail',
  'workflow',
  'fax',
  'campaign',
  'dialer',
  'station',
  'group',
  'botflow',
  'outbound',
  'inbound',
  'api',
  'manual',
]);

const MAX_STRING = 256;

export function requireId(value: unknown, field: string): string {
  const id = typeof value === 'string' ? value.trim() : undefined;
  if (!id || !UUID_RE.test(id)) {
    throw invalidInput(field, `must be a Genesys id (a UUID), got ${describe(value)}`);
  }
  return id;
}

export function optionalId(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  return requireId(value, field);
}

export interface TargetSelector {
  userId?: string;
  purpose?: string;
  name?: string;
  address?: string;
  externalContactId?: string;
  queueId?: string;
}

const SELECTOR_IDS = ['userId', 'externalContactId', 'queueId'] as const;
const SELECTOR_TEXT = ['name', 'address'] as const;
const SELECTOR_KEYS: ReadonlySet<string> = new Set<string>([...SELECTOR_IDS, ...SELECTOR_TEXT, 'purpose']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function parseSelector(value: unknown, field: string): TargetSelector | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw invalidInput(field, `must be an object like { "userId": "..." } or { "purpose": "agent", "name": "..." }, got ${describe(value)}`);
  }
  // Own keys, including a literal "__proto__" key from JSON.parse: anything not in the list is refused.
  const keys = Reflect.ownKeys(value);
  for (const key of keys) {
    if (typeof key !== 'string' || !SELECTOR_KEYS.has(key)) {
      const shown = typeof key === 'string' ? describe(key) : 'a symbol';
      throw invalidInput(field, `unknown field ${shown}; allowed: ${[...SELECTOR_KEYS].join(', ')}`);
    }
  }
  const out: TargetSelector = {};
  for (const key of SELECTOR_IDS) {
    const id = optionalId(value[key], `${field}.${key}`);
    if (id !== undefined) out[key] = id;
  }
  for (const key of SELECTOR_TEXT) {
    const text = optionalText(value[key], `${field}.${key}`);
    if (text !== undefined) out[key] = text;
  }
  // Genesys spells purposes in lower case; a flow may say "Agent" (compared trimmed, case-insensitively).
  const purpose = optionalText(value.purpose, `${field}.purpose`)?.toLowerCase();
  if (purpose !== undefined) {
    if (!KNOWN_PURPOSES.has(purpose)) {
      throw invalidInput(`${field}.purpose`, `must be one of ${[...KNOWN_PURPOSES].join(', ')}, got ${describe(purpose)}`);
    }
    out.purpose = purpose;
  }
  if (Object.keys(out).length === 0) {
    throw invalidInput(field, `needs at least one of ${[...SELECTOR_KEYS].join(', ')}`);
  }
  return out;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidInput(field, `must be a string, got ${describe(value)}`);
  const text = value.trim();
  if (text === '') return undefined;
  if (text.length > MAX_STRING) throw invalidInput(field, `must be at most ${MAX_STRING} characters, got ${text.length}`);
  return text;
}

/** A timeout in seconds, as the nodes take it: more than 0, at most a day. */
export const TIMEOUT_SECONDS: NumberRule = { min: 0, above: true, max: 86_400, unit: 'seconds' };

export function parseTimeoutSeconds(value: unknown, field: string): number {
  return parseNumber(value, field, TIMEOUT_SECONDS);
}
