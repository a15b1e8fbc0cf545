// The retry policy, in one place for every request (API calls and the token grant), in the spirit of
// Octokit's plugin-retry + plugin-throttling:
// - 429: wait Retry-After (plus a little jitter) and repeat; the caller's onRetryAfter pauses the whole
//   client meanwhile. Retry-After above maxRetryAfterSeconds fails 'rate-limited' at once.
// - 502/503/504 and transient socket errors: exponential backoff with full jitter, bounded by
//   maxAttempts and maxTotalMs. (429s and these failures each have their own maxAttempts budget.)
// - Everything else (500, 400, 401, 403, 404, 409, timeouts, cancellation) is not retried here.
// Waits are cancellable: an aborted signal ends the call at once and nothing is retried after it.
import { abortedOf, cancelled, sleep } from './abort';
import { GenesysError } from './errors';

export interface RetryPolicy {
  maxAttempts: number;
  maxTotalMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxTotalMs: 60_000,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterSeconds: 180,
};

/** Upper bound of the Retry-After jitter, so that paused requests do not all restart in the same ms. */
export const RETRY_AFTER_JITTER_MS = 250;

export type RetryDecision = { retry: false } | { retry: true; kind: 'backoff' } | { retry: true; kind: 'retry-after'; seconds: number };

/** What the policy does with a failed attempt: the error says whether it may be retried (GenesysError.retryable). */
export function classify(err: unknown): RetryDecision {
  if (!(err instanceof GenesysError) || !err.retryable) return { retry: false };
  if (err.status === 429) return { retry: true, kind: 'retry-after', seconds: err.retryAfter ?? 1 };
  return { retry: true, kind: 'backoff' };
}

/** Full jitter: a random delay in [0, min(maxDelay, base * 2^(retry-1))]. retry counts from 1. */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/** Retry-After as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export interface RetryContext {
  policy: RetryPolicy;
  /** The caller's signal plus the client's close signal. */
  signals: (AbortSignal | undefined)[];
  /** Called before each wait, e.g. to show "waiting 3s" on a node. */
  onWait?: (info: { reason: 'retry-after' | 'backoff'; ms: number }) => void;
  /** Called when a 429 says to wait until `time` (ms since epoch): pause every request of the client. */
  onRetryAfter?: (time: number) => void;
  /** Called before each repeat (for stats). */
  onRetry?: () => void;
  /** What we were doing, for "gave up" messages, e.g. "GET api.mypurecloud.com/api/v2/...". */
  what: string;
  random?: () => number;
  now?: () => number;
}

/**
 * Runs `attempt` until it succeeds or the policy says stop. `attempt` throws GenesysError for failed
 * answers (with status / retryAfter) and for network errors. Returns the value and the attempt count.
 * The first attempt runs at once; the policy's loop starts only when it fails (most requests never do).
 */
export function withRetry<T>(attempt: (n: number) => Promise<T>, ctx: RetryContext): Promise<{ value: T; attempts: number }> {
  const started = (ctx.now ?? Date.now)();
  let first: Promise<T>;
  try {
    first = attempt(1);
  } catch (err) {
    first = Promise.reject(err);
  }
  return first.then(
    (value) => ({ value, attempts: 1 }),
    (err: unknown) => retryAfterFailure(attempt, ctx, started, err),
  );
}

/** The policy's loop, from the first failed attempt on. */
async function retryAfterFailure<T>(
  attempt: (n: number) => Promise<T>,
  ctx: RetryContext,
  started: number,
  firstError: unknown,
): Promise<{ value: T; attempts: number }> {
  const now = ctx.now ?? Date.now;
  const random = ctx.random ?? Math.random;
  const aborted = () => ctx.signals.some((s) => s?.aborted);
  // 429s and transient failures are counted apart, each bounded by maxAttempts: a 503 and a few 429s on
  // a busy org should not add up to a failure.
  let backoffRetries = 0;
  let rateLimited = 0;
  let err = firstError;
  for (let n = 1; ; n++) {
    // `err` is what attempt n threw.
    if (aborted())
      throw err instanceof GenesysError && err.code === 'cancelled' ? err : cancelled(abortedOf(ctx.signals), `${ctx.what} was cancelled`);
    const decision = classify(err);
    if (!decision.retry) throw err;
    const e = err as GenesysError;

    let delay: number;
    if (decision.kind === 'retry-after') {
      if (decision.seconds > ctx.policy.maxRetryAfterSeconds) {
        throw new GenesysError(
          'rate-limited',
          `Genesys Cloud rate limit: asked to wait ${decision.seconds} s (Retry-After), more than the ${ctx.policy.maxRetryAfterSeconds} s allowed (maxRetryAfterSeconds)`,
          { status: 429, genesysCode: e.genesysCode, correlationId: e.correlationId, retryAfter: decision.seconds, retryable: false, cause: err },
        );
      }
      if (++rateLimited >= ctx.policy.maxAttempts) {
        throw new GenesysError('rate-limited', `Genesys Cloud rate limit: still 429 after ${n} attempts (${ctx.what})`, {
          status: 429,
          genesysCode: e.genesysCode,
          correlationId: e.correlationId,
          retryAfter: decision.seconds,
          retryable: false,
          cause: err,
        });
      }
      const waitMs = decision.seconds * 1000;
      ctx.onRetryAfter?.(now() + waitMs);
      delay = waitMs + Math.floor(random() * RETRY_AFTER_JITTER_MS);
      ctx.onWait?.({ reason: 'retry-after', ms: delay });
    } else {
      backoffRetries++;
      delay = backoffDelay(backoffRetries, ctx.policy, random);
      if (backoffRetries >= ctx.policy.maxAttempts || now() - started + delay > ctx.policy.maxTotalMs) {
        throw giveUp(e, n, now() - started);
      }
      ctx.onWait?.({ reason: 'backoff', ms: delay });
    }
    await sleep(delay, ctx.signals);
    ctx.onRetry?.();
    try {
      return { value: await attempt(n + 1), attempts: n + 1 };
    } catch (next) {
      err = next;
    }
  }
}

/** The last error, its message saying that we retried, final. Same code, status and correlation id. */
function giveUp(e: GenesysError, attempts: number, elapsedMs: number): GenesysError {
  if (attempts <= 1) return e.final();
  return new GenesysError(e.code, `${e.message} (gave up after ${attempts} attempts in ${Math.round(elapsedMs)} ms)`, {
    status: e.status,
    genesysCode: e.genesysCode,
    correlationId: e.correlationId,
    retryAfter: e.retryAfter,
    missingPermission: e.missingPermission,
    retryable: false,
    cause: e.cause ?? e,
  });
}
