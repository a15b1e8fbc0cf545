// A hostile server (plain node:http on 127.0.0.1, port 0, closed by the tests; not the simulator): answers
// far too big or endless, error messages that echo the token, the secret or the Basic value, a 1 MB message,
// Retry-After values beyond Node's timer range, and invalid_client for every grant. What must hold:
// a clear error, bounded memory, a dropped socket, no secret in anything the client throws, bounded timers,
// and a handful of grants however many requests follow a refusal.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { GenesysClient } from '../../lib/platform/client';
import { GenesysError } from '../../lib/platform/errors';
import { DEFAULT_MAX_RESPONSE_BYTES, HttpTransport } from '../../lib/platform/http';
import { RateLimiter } from '../../lib/platform/rate-limiter';
import { Redactor } from '../../lib/platform/redact';
import { DEFAULT_RETRY_POLICY } from '../../lib/platform/retry';
import { AUTH_BACKOFF_FIRST_MS, AUTH_BACKOFF_MAX_MS, TokenManager } from '../../lib/platform/token';
import { assertNoSecretsIn, registerBasic, registerProxyUrl, registerSecret } from '../reliability/secrets-guard';
import { closeInOrder } from '../support/test-server';

const CID = 'c0ffee00-0000-4000-8000-0000000000b1';
const PATH = `/api/v2/conversations/${CID}`;
const MB = 1024 * 1024;

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Hostile {
  origin: string;
  grants: number;
  apiCalls: number;
  /** Bytes the server managed to write into sockets. */
  written: number;
  /** Resolves when every socket that carried an API request (not a grant) is closed. */
  apiSocketsClosed(): Promise<void>;
  openApiSockets(): number;
  close(): Promise<void>;
}

async function hostile(handler: Handler): Promise<Hostile> {
  const sockets = new Set<Socket>();
  const apiSockets = new Set<Socket>();
  const state = { grants: 0, apiCalls: 0, written: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/oauth/token') state.grants++;
      else {
        state.apiCalls++;
        apiSockets.add(req.socket);
        req.socket.once('close', () => apiSockets.delete(req.socket));
      }
      handler(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    get grants() {
      return state.grants;
    },
    get apiCalls() {
      return state.apiCalls;
    },
    get written() {
      return state.written;
    },
    set written(v: number) {
      state.written = v;
    },
    openApiSockets: () => apiSockets.size,
    apiSocketsClosed: async () => {
      while (apiSockets.size > 0) await Promise.all([...apiSockets].map((s) => new Promise((r) => s.once('close', r))));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  } as Hostile;
}

/** Streams `total` bytes (Infinity: endless) of a JSON-looking body, honouring backpressure. */
function stream(h: { written: number }, res: http.ServerResponse, total: number, headers: Record<string, string | number> = {}): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.write('{"id":"');
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const part = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk;
      sent += part.length;
      h.written += part.length;
      if (!res.write(part)) return void res.once('drain', pump);
    }
    res.end('"}');
  };
  res.on('close', () => {
    sent = total;
  }); // the client went away: stop
  pump();
}

function token(res: http.ServerResponse, value: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: value, token_type: 'bearer', expires_in: 86_400 }));
}

/** Peak rss growth (bytes) while `fn` runs, sampled every 2 ms. */
async function rssGrowth<T>(fn: () => Promise<T>): Promise<{ growth: number; result: T | undefined; error: unknown }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  let result: T | undefined;
  let error: unknown;
  try {
    result = await fn();
  } catch (err) {
    error = err;
  } finally {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  return { growth: peak - before, result, error };
}

describe('lib against a hostile server (sizes, echoes, storms)', function () {
  this.timeout(60_000);
  let server: Hostile | undefined;
  let client: GenesysClient | undefined;
  const SECRET = `Hostile-Secret-${randomBytes(10).toString('hex')}`;
  const CLIENT_ID = `hostile-client-${randomBytes(4).toString('hex')}`;
  const BASIC = Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
  const TOKEN = `hostile-token-${randomBytes(16).toString('hex')}`;
  before(() => {
    registerSecret(SECRET);
    registerBasic(CLIENT_ID, SECRET);
    registerSecret(BASIC);
    registerSecret(TOKEN);
  });
  const make = (origin: string, extra: Record<string, unknown> = {}) => {
    client = new GenesysClient({
      region: 'custom',
      apiBaseUrl: origin,
      authBaseUrl: origin,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
      ...extra,
    });
    return client;
  };
  afterEach(async () => {
    await closeInOrder(client, server);
    client = server = undefined;
  });

  describe('sizes: the body cap', () => {
    for (const [label, total, withLength] of [
      ['a 100 MB answer announced by Content-Length', 100 * MB, true],
      ['a 100 MB chunked answer', 100 * MB, false],
      ['an endless answer', Infinity, false],
    ] as const) {
      it(`${label}: a clear error, the socket dropped, rss growth under 50 MB`, async () => {
        const h = await hostile((req, res) => {
          if (req.url === '/oauth/token') return token(res, TOKEN);
          stream(h, res, total, withLength ? { 'content-length': total + 9 } : {});
        });
        server = h;
        const c = make(h.origin);
        await c.request({ method: 'GET', path: '/api/v2/organizations/me' }).catch(() => undefined); // warm up: token, socket
        await h.apiSocketsClosed();
        h.written = 0;
        const { growth, error } = await rssGrowth(() => c.request({ method: 'GET', path: PATH }));
        assert.ok(error instanceof GenesysError, `expected a GenesysError, got ${inspect(error)}`);
        assert.equal(error.code, 'genesys-error');
        assert.match(error.message, new RegExp(`larger than ${DEFAULT_MAX_RESPONSE_BYTES} bytes \\(maxResponseBytes\\)`));
        assert.match(error.message, /connection closed/);
        await h.apiSocketsClosed();
        assert.equal(h.openApiSockets(), 0);
        assert.ok(h.written < 40 * MB, `the server wrote ${Math.round(h.written / MB)} MB before the client let go`);
        assert.ok(growth < 50 * MB, `rss grew by ${Math.round(growth / MB)} MB`);
        console.log(`      rss growth ${(growth / MB).toFixed(1)} MB, server wrote ${(h.written / MB).toFixed(1)} MB`);
      });
    }

    it('an endless token answer fails the grant the same way', async () => {
      const h = await hostile((_req, res) => stream(h, res, Infinity));
      server = h;
      const { growth, error } = await rssGrowth(() => make(h.origin).request({ method: 'GET', path: PATH }));
      assert.ok(error instanceof GenesysError);
      assert.match(error.message, /larger than \d+ bytes/);
      assert.equal(h.apiCalls, 0);
      assert.ok(growth < 50 * MB, `rss grew by ${Math.round(growth / MB)} MB`);
    });

    it('an answer under the cap is read whole; the cap is an option (maxResponseBytes)', async () => {
      const h = await hostile((req, res) => (req.url === '/oauth/token' ? token(res, TOKEN) : stream(h, res, 60 * 1024)));
      server = h;
      const c = make(h.origin, { maxResponseBytes: 64 * 1024 });
      const ok = await c.request({ method: 'GET', path: PATH });
      assert.equal((ok.body as { id: string }).id.length, 60 * 1024);
      await c.close();
      const small = make(h.origin, { maxResponseBytes: 32 * 1024 });
      await assert.rejects(small.request({ method: 'GET', path: PATH }), /larger than 32768 bytes/);
      assert.throws(
        () => make(h.origin, { maxResponseBytes: 10 }),
        (e: GenesysError) => e.field === 'maxResponseBytes',
      );
    });
  });

  describe('echoes: nothing the client throws holds a secret', () => {
    const echoes: [string, (req: http.IncomingMessage) => string][] = [
      ['the bearer header', (req) => `rejected header: ${req.headers.authorization}`],
      ['the bare token', (req) => `token ${String(req.headers.authorization).slice(7)} is not valid here`],
      [
        'the secret, the Basic value and a URL with credentials',
        () => `client ${CLIENT_ID}:${SECRET} (Basic ${BASIC}) via http://${CLIENT_ID}:${SECRET}@proxy.example`,
      ],
      ['a token in a JSON echo', () => `{"access_token":"${TOKEN}","client_secret":"${SECRET}"}`],
    ];
    for (const [label, say] of echoes) {
      it(`an API error message echoing ${label}`, async () => {
        const h = await hostile((req, res) => {
          if (req.url === '/oauth/token') return token(res, TOKEN);
          res.writeHead(400, { 'content-type': 'application/json', 'ININ-Correlation-Id': 'corr-echo' });
          res.end(JSON.stringify({ message: say(req), code: 'bad.request', status: 400 }));
        });
        server = h;
        const err = await make(h.origin)
          .request({ method: 'GET', path: PATH })
          .catch((e) => e);
        assert.ok(err instanceof GenesysError);
        assert.equal(err.code, 'genesys-error');
        assert.equal(err.correlationId, 'corr-echo');
        assert.match(err.message, /\*\*\*/);
        assertNoSecretsIn(err, `the error (${label})`);
        assertNoSecretsIn(err.toMsgError(), `msg.error (${label})`);
        assertNoSecretsIn(err.stack, `the stack (${label})`);
      });
    }

    it('an OAuth error description echoing the secret and the Basic value', async () => {
      const h = await hostile((req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_request', error_description: `bad ${req.headers.authorization} for secret ${SECRET}` }));
      });
      server = h;
      const err = await make(h.origin)
        .request({ method: 'GET', path: PATH })
        .catch((e) => e);
      assert.equal(err.code, 'auth-failed');
      assert.match(err.message, /invalid_request/);
      assertNoSecretsIn(err, 'the grant error');
    });

    it('a 1 MB Genesys message is cut to about 1 KB', async () => {
      const h = await hostile((req, res) => {
        if (req.url === '/oauth/token') return token(res, TOKEN);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `${'x'.repeat(MB)}${TOKEN}`, code: 'internal.server.error', status: 500 }));
      });
      server = h;
      const err = await make(h.origin)
        .request({ method: 'GET', path: PATH })
        .catch((e) => e);
      assert.equal(err.status, 500);
      assert.ok(err.message.length < 1300, `message of ${err.message.length} characters`);
      assert.match(err.message, /more characters cut/);
      assertNoSecretsIn(err, 'the error');
    });

    it('a network error carries a plain cause (message and code only), no undici object', async () => {
      const h = await hostile((req, res) => {
        if (req.url === '/oauth/token') return token(res, TOKEN);
        res.socket?.destroy();
      });
      server = h;
      const err = await make(h.origin)
        .request({ method: 'GET', path: PATH })
        .catch((e) => e);
      assert.equal(err.code, 'network-error');
      const cause = err.cause as Error & { code?: string; cause?: unknown };
      assert.ok(cause instanceof Error);
      assert.equal(cause.cause, undefined);
      assert.deepEqual(
        Object.keys(cause).filter((k) => k !== 'code'),
        [],
      );
    });

    it('a malformed HTTPS_PROXY holding a password: invalid-input naming the variable, the password nowhere', () => {
      const saved = process.env.HTTPS_PROXY;
      const password = `Proxy-Pw-${randomBytes(6).toString('hex')}`;
      process.env.HTTPS_PROXY = `http://user:${password}@bad host:99`;
      registerProxyUrl(process.env.HTTPS_PROXY);
      try {
        const err = (() => {
          try {
            make('https://api.example.com');
          } catch (e) {
            return e;
          }
          return undefined;
        })() as GenesysError;
        assert.ok(err instanceof GenesysError);
        assert.equal(err.code, 'invalid-input');
        assert.equal(err.field, 'HTTPS_PROXY');
        assert.equal(err.cause, undefined);
        assertNoSecretsIn(err, 'the proxy error');
        // A proxy password in any foreign text is redacted too.
        assert.equal(new Redactor([]).text(`via http://user:${password}@bad host:99`).includes(password), false);
      } finally {
        if (saved === undefined) delete process.env.HTTPS_PROXY;
        else process.env.HTTPS_PROXY = saved;
      }
    });
  });

  describe('storms', () => {
    it('a 429 with a Retry-After beyond 2^31 ms fails rate-limited at once, with no timer overflow', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      try {
        const h = await hostile((req, res) => {
          if (req.url === '/oauth/token') return token(res, TOKEN);
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '99999999999' });
          res.end(JSON.stringify({ message: 'slow down', code: 'too.many.requests', status: 429 }));
        });
        server = h;
        const c = make(h.origin, { maxRetryAfterSeconds: 3600 });
        const err = await c.request({ method: 'GET', path: PATH }).catch((e) => e);
        assert.equal(err.code, 'rate-limited');
        assert.match(err.message, /more than the 3600 s allowed \(maxRetryAfterSeconds\)/);
        assert.equal(h.apiCalls, 1);
        // The next request is not held by a pause either.
        const again = await c.request({ method: 'GET', path: PATH }).catch((e) => e);
        assert.equal(again.code, 'rate-limited');
        assert.equal(h.apiCalls, 2);
      } finally {
        process.off('warning', onWarning);
      }
      assert.deepEqual(
        warnings.filter((w) => w === 'TimeoutOverflowWarning'),
        [],
      );
    });

    it('the limiter paused far beyond 2^31 ms arms one capped timer (no 1 ms loop, no overflow warning)', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      const limiter = new RateLimiter({ requestsPerMinute: 10 });
      try {
        limiter.pauseUntil(Date.now() + 2 ** 33);
        const ac = new AbortController();
        const waiting = limiter.acquire(ac.signal).catch((e) => e);
        await new Promise((r) => setTimeout(r, 50));
        ac.abort();
        assert.equal((await waiting).code, 'cancelled');
      } finally {
        limiter.close();
        process.off('warning', onWarning);
      }
      assert.deepEqual(
        warnings.filter((w) => w === 'TimeoutOverflowWarning'),
        [],
      );
    });

    it('every time option is bounded (no timer beyond 2^31-1 ms can be configured)', () => {
      const base = { region: 'custom', apiBaseUrl: 'http://127.0.0.1:1', authBaseUrl: 'http://127.0.0.1:1', clientId: 'id', clientSecret: SECRET };
      for (const [field, patch] of [
        ['maxRetryAfterSeconds', { maxRetryAfterSeconds: 0 }],
        ['maxRetryAfterSeconds', { maxRetryAfterSeconds: 3601 }],
        ['connectTimeoutMs', { connectTimeoutMs: 2 ** 31 }],
        ['requestTimeoutMs', { requestTimeoutMs: 3_600_001 }],
        ['retry.maxDelayMs', { retry: { maxDelayMs: 2 ** 40 } }],
        ['retry.baseDelayMs', { retry: { baseDelayMs: Infinity } }],
        ['retry.maxTotalMs', { retry: { maxTotalMs: 1e12 } }],
        ['rateLimitWindowMs', { rateLimitWindowMs: 2 ** 31 }],
      ] as const) {
        assert.throws(
          () => new GenesysClient({ ...base, ...patch } as never),
          (e: GenesysError) => e.code === 'invalid-input' && e.field === field,
          field,
        );
      }
      assert.doesNotThrow(() => void new GenesysClient({ ...base, maxRetryAfterSeconds: 3600 }).close());
    });

    it('invalid_client: 40 requests one after the other send a handful of grants, all fail auth-failed at once', async () => {
      const h = await hostile((_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_client', description: 'client not found', error_description: 'client not found' }));
      });
      server = h;
      const c = make(h.origin);
      const codes: string[] = [];
      for (let i = 0; i < 40; i++)
        codes.push(
          await c.request({ method: 'GET', path: PATH }).then(
            () => 'ok',
            (e) => e.code,
          ),
        );
      assert.deepEqual([...new Set(codes)], ['auth-failed']);
      assert.ok(h.grants <= 5, `${h.grants} grants for 40 requests`);
      assert.equal(h.apiCalls, 0);
      console.log(`      ${h.grants} grant(s) for 40 requests after invalid_client`);
      const held = await c.request({ method: 'GET', path: PATH }).catch((e) => e);
      assert.match(held.message, /invalid_client.*no new token grant for \d+ s/);
      // 40 at once share the one grant in flight (a new client: the backoff is per client).
      await c.close();
      const h2 = h.grants;
      const c2 = make(h.origin);
      const all = await Promise.all(Array.from({ length: 40 }, () => c2.request({ method: 'GET', path: PATH }).catch((e) => e.code)));
      assert.deepEqual([...new Set(all)], ['auth-failed']);
      assert.equal(h.grants - h2, 1);
    });

    it('the grant backoff grows 2 s, 4 s, 8 s... up to 5 min, and a good grant clears it (fake clock)', async () => {
      let ok = false;
      const h = await hostile((_req, res) => {
        if (ok) return token(res, TOKEN);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_client' }));
      });
      server = h;
      let now = 1_000_000;
      const http = new HttpTransport({ connectTimeoutMs: 1000, requestTimeoutMs: 5000 });
      try {
        const tm = new TokenManager({
          authBaseUrl: h.origin,
          clientId: CLIENT_ID,
          clientSecret: SECRET,
          http,
          policy: DEFAULT_RETRY_POLICY,
          now: () => now,
        });
        const delays: number[] = [];
        for (let i = 0; i < 10; i++) {
          await assert.rejects(tm.getToken(), (e: GenesysError) => e.code === 'auth-failed');
          delays.push(tm.authBackoffMs);
          // Held back: no grant until the delay has passed.
          const grants = h.grants;
          now += tm.authBackoffMs - 1;
          await assert.rejects(tm.getToken(), /no new token grant for 1 s/);
          assert.equal(h.grants, grants);
          now += 1;
        }
        assert.deepEqual(delays.slice(0, 4), [
          AUTH_BACKOFF_FIRST_MS,
          2 * AUTH_BACKOFF_FIRST_MS,
          4 * AUTH_BACKOFF_FIRST_MS,
          8 * AUTH_BACKOFF_FIRST_MS,
        ]);
        assert.equal(delays[9], AUTH_BACKOFF_MAX_MS);
        ok = true;
        assert.equal(await tm.getToken(), TOKEN);
        assert.equal(tm.authBackoffMs, 0);
      } finally {
        await http.close();
      }
    });
  });
});
