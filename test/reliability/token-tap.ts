// A "token tap" for the reliability suite: a loopback forwarder in front of the simulator's login origin, so a
// test knows every access token the nodes were given (and can prove none leaks anywhere).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback forwarder for the login origin only: the nodes get their tokens through it (authBaseUrl), so
 * a test knows every access_token issued to them. The API origin stays the simulator's.
 */
export interface TokenTap {
  url: string;
  tokens: string[];
  close(): Promise<void>;
}

export async function startTokenTap(simUrl: string): Promise<TokenTap> {
  const tokens: string[] = [];
  const target = new URL(simUrl);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: target.host };
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false }, (upRes) => {
        const body: Buffer[] = [];
        upRes.on('data', (c: Buffer) => body.push(c));
        upRes.on('end', () => {
          const text = Buffer.concat(body);
          try {
            const t = JSON.parse(text.toString('utf8')).access_token;
            if (typeof t === 'string') tokens.push(t);
          } catch {
            /* not JSON: an error answer */
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.end(text);
        });
      });
      up.on('error', () => {
        res.destroy();
      });
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
