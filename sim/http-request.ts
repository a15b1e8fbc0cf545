// One HTTP request over a connection of its own, the answer read whole (the control client's transport, and
// the simulator tests'). agent: false by default: no keep-alive socket is left to hold a process open.
import * as http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
}

export interface HttpRequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer;
  agent?: http.Agent | false;
}

/** Rejects on a socket error (a destroyed socket: code ECONNRESET). */
export function httpRequest(url: string | URL, o: HttpRequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method, headers: o.headers ?? {}, agent: o.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
