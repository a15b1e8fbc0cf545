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

/** What goes on `msg.error` (design 2.6). */
export interface MsgError {
  code: ErrorCode;
  message: string;
  status?: number;
  genesysCode?: string;
  correlationId?: string;
  retryAfter?: number;
  field?: string;
  missingPermission?: string;
  candidates?: unknown[];
  sent?: boolean;
}

export interface GenesysErrorDetails {
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
  cause?: unknown;
}

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
