// Errors the Platform API answers with: a status, a Genesys code and an ErrorBody (the SDKs' ErrorBody model).

/** Thrown by the pipeline and the route handlers to answer with a Genesys ErrorBody. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageParams: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const invalidValue = (field: string, problem: string): ApiError =>
  new ApiError(400, 'invalid.value', `Value for field [${field}] is not valid: ${problem}`, { field });

export const notFound = (what: string): ApiError => new ApiError(404, 'not.found', `The requested resource [${what}] was not found.`);

/** The code an injected status answers with when the fault names none. */
export const DEFAULT_CODES: Record<number, string> = {
  400: 'bad.request',
  401: 'bad.credentials',
  403: 'missing.permissions',
  404: 'not.found',
  409: 'conflict',
  415: 'unsupported.media.type',
  429: 'too.many.requests.retry.after',
  500: 'internal.server.error',
  502: 'bad.gateway',
  503: 'service.unavailable',
  504: 'request.timeout',
};

/** The 429 of the rate window (and of injected 429s), with Retry-After and the limit it hit. */
export function rateLimitError(retryAfter: number, limit: number): ApiError {
  const message = `Rate limit exceeded the maximum. Retry the request in [${retryAfter}] seconds`;
  return new ApiError(
    429,
    'too.many.requests.retry.after',
    message,
    { retryAfter: String(retryAfter) },
    { 'Retry-After': String(retryAfter) },
    {
      messageWithParams: 'Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds',
      limit: { key: 'client.credentials.token.rate.per.minute', namespace: 'platform.api', value: limit },
    },
  );
}

/** The ErrorBody of an ApiError; contextId is the answer's ININ-Correlation-Id. */
export function errorBody(err: ApiError, correlationId: string): Record<string, unknown> {
  return {
    message: err.message,
    code: err.code,
    status: err.status,
    messageWithParams: err.message,
    messageParams: err.messageParams,
    contextId: correlationId,
    details: [],
    errors: [],
    ...err.extra,
  };
}
