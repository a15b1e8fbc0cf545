// A tiny scriptable HTTP server on 127.0.0.1:0 for lib/ tests: records every request (method, path,
// headers, body, time) and answers with whatever the test's handler does. close() ends every socket.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request arrived. */
  time: number;
}

export type Handler = (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>;

export interface TestServer {
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests whose path starts with the prefix. */
  requestsTo(prefix: string): RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'ININ-Correlation-Id': `corr-${status}-${Date.now()}`, ...headers });
  res.end(text);
}

/** Answers the token grant with a fixed token; everything else via `api`. */
export function withTokenGrant(api: Handler, token = 'test-access-token-1234', expiresIn = 86_400): Handler {
  return (req, res) => {
    if (req.path === '/oauth/token') return sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: expiresIn });
    return api(req, res);
  };
}

export async function startTestServer(handler: Handler): Promise<TestServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        time: Date.now(),
      };
      requests.push(rec);
      Promise.resolve(current(rec, res)).catch((err) => {
        if (!res.headersSent) sendJson(res, 599, { message: String(err) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    requestsTo: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    setHandler: (h) => {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Closes each of these in order (a client before the server it talks to), skipping the unset ones. */
export async function closeInOrder(...resources: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const r of resources) await r?.close();
}
