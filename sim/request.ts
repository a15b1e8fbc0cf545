// One request as the pipeline carries it (Exchange), reading its body, and the JSON body a route needs.
import type * as http from 'node:http';
import { ApiError } from './api-error';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A request on its way through the pipeline; the answer is written to res. */
export interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  path: string;
  correlationId: string;
  started: number;
  /** Under /api/v2/: counted, rate-limited, answered with inin-ratelimit-* headers. */
  api: boolean;
  clientId?: string;
  token?: string;
  loggedBody?: unknown;
}

/** Reads the whole body; over 1 MB it keeps draining (so the client reads our 413) but keeps nothing. */
export function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else chunks.length = 0;
      if (size > 64 * MAX_BODY_BYTES) req.destroy(); // not worth draining
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.alloc(0)));
    req.on('close', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
  });
}

export function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function isJson(req: http.IncomingMessage): boolean {
  const t = mediaType(req);
  return t === 'application/json' || t.endsWith('+json');
}

/** The body of a PATCH/POST that needs one: a JSON object. */
export function jsonBody(req: http.IncomingMessage, raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) throw new ApiError(400, 'bad.request', 'A request body is required.');
  if (!isJson(req))
    throw new ApiError(415, 'unsupported.media.type', `Content-Type [${req.headers['content-type'] ?? ''}] is not supported; use application/json.`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'bad.request', `The request could not be understood by the server due to malformed syntax: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'bad.request', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}
