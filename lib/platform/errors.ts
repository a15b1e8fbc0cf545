// The one error type of the package. Every failure a flow can see is a GenesysError with a stable `code`
// (public API: users switch on it in Catch flows) and, when Genesys answered, its status, code and
// correlation id. Messages never contain a secret or a token.

export type ErrorCode =
  | 'invalid-input'
  | 'target-not-found'
  | 'ambiguous-target'
  | 'refuse-customer'
  | 'keep-call-alive'
  | 'timeout'
  | 'auth-failed'
  | 'permission-denied'
  | 'rate-limited'
  | 'network-error'
  | 'cancelled'
  | 'genesys-error';

/** What an error may say besides its code and message: on the error, on `msg.error`, and when making one. */
export interface ErrorFields {
  status?: number;
  genesysCode?: string;
  correlationId?: string;
  /** Seconds, from the Retry-After header of a 429. */
  retryAfter?: number;
  /** For invalid-input: the field that is wrong. */
  field?: string;
  /** For permission-denied: the Genesys permission the OAuth client lacks, when Genesys says it. */
  missingPermission?: string;
  /** For ambiguous-target: the live participants that matched. */
  candidates?: unknown[];
  /** For cancelled: the disconnect request had left for Genesys, so it may have taken effect. */
  sent?: boolean;
}

/** What goes on `msg.error`. */
export interface MsgError extends ErrorFields {
  code: ErrorCode;
  message: string;
}

export interface GenesysErrorDetails extends ErrorFields {
  /** Whether another attempt may succeed; defaults from the status (429, 502, 503, 504). See `retryable` below. */
  retryable?: boolean;
  cause?: unknown;
}

/** Statuses that mean "try again later": 429 and 502/503/504 (not 500 or 501: docs/platform.md section 5). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export class GenesysError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly genesysCode?: string;
  readonly correlationId?: string;
  readonly retryAfter?: number;
  readonly field?: string;
  readonly missingPermission?: string;
  readonly candidates?: unknown[];
  readonly sent?: boolean;
  /**
   * Whether the retry policy (lib/platform/retry.ts) may try again: decided where the error is made, as plain
   * data (Octokit's plugin-retry reads the error's own fields too). By default from the status; the transport
   * sets it for socket errors (a reset may pass, a spent time budget will not); errors that already went
   * through the policy (a retried token grant, a give-up) are false, so that an outer retry does not repeat them.
   */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, details: GenesysErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GenesysError';
    this.code = code;
    this.status = details.status;
    this.genesysCode = details.genesysCode;
    this.correlationId = details.correlationId;
    this.retryAfter = details.retryAfter;
    this.field = details.field;
    this.missingPermission = details.missingPermission;
    this.candidates = details.candidates;
    this.sent = details.sent;
    this.retryable = details.retryable ?? (details.status !== undefined && RETRYABLE_STATUSES.has(details.status));
  }

  /** This error as one no retry may repeat: itself when it already is, else a copy with retryable false. */
  final(): GenesysError {
    if (!this.retryable) return this;
    return new GenesysError(this.code, this.message, { ...this.details(), retryable: false, cause: this.cause });
  }

  /** The details this error was made with (not the cause), for a copy with one thing changed. */
  details(): GenesysErrorDetails {
    const { status, genesysCode, correlationId, retryAfter, field, missingPermission, candidates, sent, retryable } = this;
    return { status, genesysCode, correlationId, retryAfter, field, missingPermission, candidates, sent, retryable };
  }

  /**
   * The message alone. Node-RED builds a Catch node's `msg.error.message` from `err.toString()` (runtime
   * lib/flows/Flow.js handleError): Error's own toString would put "GenesysError: " in front of it.
   */
  override toString(): string {
    return this.message;
  }

  toMsgError(): MsgError {
    const out: MsgError = { code: this.code, message: this.message };
    if (this.status !== undefined) out.status = this.status;
    if (this.genesysCode !== undefined) out.genesysCode = this.genesysCode;
    if (this.correlationId !== undefined) out.correlationId = this.correlationId;
    if (this.retryAfter !== undefined) out.retryAfter = this.retryAfter;
    if (this.field !== undefined) out.field = this.field;
    if (this.missingPermission !== undefined) out.missingPermission = this.missingPermission;
    if (this.candidates !== undefined) out.candidates = this.candidates;
    if (this.sent !== undefined) out.sent = this.sent;
    return out;
  }
}

export function invalidInput(field: string, problem: string): GenesysError {
  return new GenesysError('invalid-input', `${field}: ${problem}`, { field });
}

export function isGenesysError(err: unknown): err is GenesysError {
  return err instanceof GenesysError;
}
