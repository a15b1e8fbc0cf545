// Fault injection: one-shot rules (POST /__sim/fail-next), latency, random 429s, 5xx and socket resets
// (PUT /__sim/faults), and the flags routes read (409 on transitional legs, not.a.user on the calls PATCH).
import { ApiError, DEFAULT_CODES, rateLimitError } from './api-error';
import { ControlError } from './module';
import type { Timers } from './timers';
import type { FailRule, FaultConfig } from './types';

/** What a request meets instead of its answer: an error answer, or its socket destroyed. */
export type Fault = ApiError | 'reset';

export class Faults {
  private config: FaultConfig = {};
  private random: () => number = prng(Date.now());
  private failRules: (FailRule & { remaining: number; re?: RegExp })[] = [];

  constructor(
    private readonly timers: Timers,
    private readonly rateLimitPerMinute: () => number,
  ) {}

  /** PATCH on a leg in alerting/dialing/contacting/offering answers 409. */
  get conflictOnTransitional(): boolean {
    return Boolean(this.config.conflictOnTransitional);
  }

  /** The calls participant PATCH answers 400 not.a.user. */
  get notAUserOnCallsPatch(): boolean {
    return Boolean(this.config.notAUserOnCallsPatch);
  }

  /** Faults also apply to /oauth/token. */
  get includeTokenGrant(): boolean {
    return this.config.appliesTo === 'all';
  }

  /** One-shot rules first, then latency, then the random faults. Undefined: answer as usual. */
  async meet(method: string, path: string): Promise<Fault | undefined> {
    const rule = this.failRules.find((r) => (!r.method || r.method.toUpperCase() === method) && (!r.re || r.re.test(path)));
    if (rule) {
      if (--rule.remaining <= 0) this.failRules.splice(this.failRules.indexOf(rule), 1);
      if (rule.reset) return 'reset';
      const headers: Record<string, string> = {};
      if (rule.status === 429) headers['Retry-After'] = String(rule.retryAfter ?? 1);
      else if (rule.retryAfter !== undefined) headers['Retry-After'] = String(rule.retryAfter);
      const code = rule.code ?? DEFAULT_CODES[rule.status] ?? 'bad.request';
      return new ApiError(rule.status, code, `Injected failure (${code}).`, {}, headers);
    }
    const f = this.config;
    const latency = pick(f.latencyMs, this.random);
    if (latency > 0) await this.timers.sleep(latency);
    if (this.timers.closed) return 'reset';
    if (f.resetRate && this.random() < f.resetRate) return 'reset';
    if (f.rate429 && this.random() < f.rate429) {
      const retry = Math.max(0, Math.round(pick(f.retryAfterSeconds ?? 1, this.random)));
      return rateLimitError(retry, this.rateLimitPerMinute());
    }
    for (const status of [500, 502, 503, 504] as const) {
      const rate = f.rate5xx?.[status];
      if (rate && this.random() < rate) return new ApiError(status, DEFAULT_CODES[status], 'Injected server error.');
    }
    return undefined;
  }

  /** Replaces the fault configuration ({} switches every fault off). */
  set(f: FaultConfig): void {
    const rate = (v: unknown, name: string): void => {
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) throw new ControlError(`${name} must be a number in 0..1`);
    };
    const range = (v: unknown, name: string): void => {
      const ok = (n: unknown): boolean => typeof n === 'number' && n >= 0;
      if (v !== undefined && !(ok(v) || (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]) && v[0] <= v[1]))) {
        throw new ControlError(`${name} must be a number >= 0 or [min, max]`);
      }
    };
    if (typeof f !== 'object' || Array.isArray(f)) throw new ControlError('faults must be an object');
    rate(f.rate429, 'rate429');
    rate(f.resetRate, 'resetRate');
    for (const [k, v] of Object.entries(f.rate5xx ?? {})) {
      if (!['500', '502', '503', '504'].includes(k)) throw new ControlError(`rate5xx.${k}: only 500, 502, 503, 504`);
      rate(v, `rate5xx.${k}`);
    }
    range(f.latencyMs, 'latencyMs');
    range(f.retryAfterSeconds, 'retryAfterSeconds');
    if (f.appliesTo !== undefined && f.appliesTo !== 'api' && f.appliesTo !== 'all') throw new ControlError('appliesTo must be api or all');
    if (f.seed !== undefined && typeof f.seed !== 'number') throw new ControlError('seed must be a number');
    this.config = f;
    this.random = prng(f.seed ?? Date.now());
  }

  /** One-shot faults: each rule answers the next `count` matching requests. */
  addFailRules(rules: unknown): void {
    if (!Array.isArray(rules)) throw new ControlError('fail-next takes an array of rules');
    const parsed = rules.map((r: FailRule, i) => {
      if (!r || typeof r.status !== 'number' || r.status < 100 || r.status > 599) throw new ControlError(`rules[${i}].status must be an HTTP status`);
      let re: RegExp | undefined;
      if (r.path !== undefined) {
        try {
          re = new RegExp(r.path);
        } catch {
          throw new ControlError(`rules[${i}].path is not a valid regular expression`);
        }
      }
      const count = r.count ?? 1;
      if (typeof count !== 'number' || count < 1) throw new ControlError(`rules[${i}].count must be >= 1`);
      return { ...r, remaining: count, re };
    });
    this.failRules.push(...parsed);
  }

  /** No faults, no rules. */
  clear(): void {
    this.config = {};
    this.random = prng(Date.now());
    this.failRules = [];
  }
}

/** Deterministic PRNG (mulberry32) so chaos runs repeat with the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(v: number | [number, number] | undefined, random: () => number): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  return v[0] + (v[1] - v[0]) * random();
}
