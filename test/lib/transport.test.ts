// lib/http's transport itself: which undici dispatcher it picks, what a request costs in listeners, and the
// whole-request timeout when the body trickles. Real sockets on 127.0.0.1.
import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GenesysError } from '../../lib/platform/errors';
import { HttpTransport, MAX_CONNECTIONS_PER_ORIGIN, parseJsonBody } from '../../lib/platform/http';

const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

describe('lib/http: the transport', () => {
  let saved: Record<string, string | undefined>;
  let server: http.Server | undefined;
  let transport: HttpTransport | undefined;
  beforeEach(() => {
    saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
    for (const k of PROXY_VARS) delete process.env[k];
  });
  afterEach(async () => {
    await transport?.close();
    transport = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
    for (const k of PROXY_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  const make = (requestTimeoutMs = 5000) => (transport = new HttpTransport({ connectTimeoutMs: 1000, requestTimeoutMs }));
  const listen = async (handler: http.RequestListener): Promise<string> => {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('uses a plain Agent with no proxy variable, EnvHttpProxyAgent when any one is set (any case)', async () => {
    assert.equal(make().viaProxy, false);
    await transport!.close();
    for (const name of PROXY_VARS) {
      process.env[name] = name.toLowerCase().includes('no') ? '127.0.0.1' : 'http://127.0.0.1:9';
      assert.equal(make().viaProxy, true, name);
      await transport!.close();
      delete process.env[name];
    }
  });

  it("requests add no listener to the close signal, and one in all to the caller's, however many go out", async () => {
    let answer: (() => void) | undefined;
    const origin = await listen((_req, res) => {
      answer = () => res.end('{"ok":true}');
    });
    const t = make();
    const ac = new AbortController();
    const closeBefore = getEventListeners(t.closeSignal, 'abort').length;
    const call = t.send({ origin, method: 'GET', path: '/x', signal: ac.signal });
    while (!answer) await new Promise((r) => setTimeout(r, 5));
    assert.equal(getEventListeners(t.closeSignal, 'abort').length, closeBefore, 'no close listener per request');
    assert.ok(getEventListeners(ac.signal, 'abort').length <= 1, "one listener on the caller's signal at most");
    answer();
    const res = await call;
    assert.equal(res.status, 200);
    assert.deepEqual(parseJsonBody(res.text), { ok: true });
    // The transport's one listener per caller signal stays (abort.ts inFlightOn: it ends the requests in flight
    // on the signal); the requests themselves leave nothing on it.
    assert.ok(getEventListeners(ac.signal, 'abort').length <= 1, 'nothing per request left behind');
    for (let i = 0; i < 5; i++) {
      const next = t.send({ origin, method: 'GET', path: '/x', signal: ac.signal });
      answer = undefined;
      while (!answer) await new Promise((r) => setTimeout(r, 5));
      (answer as () => void)();
      assert.equal((await next).status, 200);
    }
    assert.ok(getEventListeners(ac.signal, 'abort').length <= 1, 'still one listener after 6 requests');
  });

  it('a body that trickles past requestTimeoutMs fails network-error "timed out" (undici\'s bodyTimeout alone would wait)', async () => {
    const origin = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const t = make(300);
    const t0 = performance.now();
    await assert.rejects(
      t.send({ origin, method: 'GET', path: '/slow' }),
      (err: GenesysError) => err.code === 'network-error' && /timed out after 300 ms/.test(err.message) && err.retryable === false,
    );
    assert.ok(performance.now() - t0 >= 295, 'not before the timeout');
  });

  it('an abort ends a request still waiting for a connection at once, and it is never sent', async () => {
    const hanging: http.ServerResponse[] = [];
    const paths: string[] = [];
    const origin = await listen((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/after') res.end('{}');
      else hanging.push(res);
    });
    const t = make();
    // Every connection of the pool busy with an answer that does not come.
    const busy = Array.from({ length: MAX_CONNECTIONS_PER_ORIGIN }, (_, i) => t.send({ origin, method: 'GET', path: `/busy/${i}` }));
    while (paths.length < MAX_CONNECTIONS_PER_ORIGIN) await new Promise((r) => setTimeout(r, 5));
    const ac = new AbortController();
    const queued = t.send({ origin, method: 'PATCH', path: '/queued', json: { state: 'disconnected' }, signal: ac.signal });
    const reason = new GenesysError('cancelled', 'the node was closed');
    ac.abort(reason);
    await assert.rejects(queued, (err: unknown) => err === reason);
    for (const res of hanging) res.end('{}');
    for (const call of busy) assert.equal((await call).status, 200);
    // The pool is free again: a new request goes out, the aborted one never did.
    assert.equal((await t.send({ origin, method: 'GET', path: '/after' })).status, 200);
    assert.equal(paths.filter((p) => p === '/queued').length, 0, paths.join(' '));
    assert.ok(paths.includes('/after'));
  });

  it('an abort while the answer is awaited ends the call at once and drops its socket; the next call goes out', async () => {
    let dropped: Promise<void> | undefined;
    const origin = await listen((req, res) => {
      if (req.url === '/hang') dropped = new Promise((resolve) => req.socket.on('close', () => resolve()));
      else res.end('{"ok":true}');
    });
    const t = make();
    const ac = new AbortController();
    const call = t.send({ origin, method: 'GET', path: '/hang', signal: ac.signal });
    while (!dropped) await new Promise((r) => setTimeout(r, 5));
    ac.abort(new GenesysError('cancelled', 'stop'));
    await assert.rejects(call, (err: GenesysError) => err.code === 'cancelled');
    await dropped; // the server sees the socket closed: no answer can come on it
    const next = await t.send({ origin, method: 'GET', path: '/ok', signal: new AbortController().signal });
    assert.deepEqual(parseJsonBody(next.text), { ok: true });
  });

  it('an informational answer (103 Early Hints) is passed over: the final answer is read', async () => {
    const origin = await listen((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(202, { 'content-type': 'application/json', 'inin-correlation-id': 'c-103' });
      res.end('{"done":true}');
    });
    const res = await make().send({ origin, method: 'PATCH', path: '/x', json: { state: 'disconnected' } });
    assert.equal(res.status, 202);
    assert.equal(res.correlationId, 'c-103');
    assert.deepEqual(parseJsonBody(res.text), { done: true });
  });

  it('an answer in many chunks is read whole, multi-byte characters split across chunks included', async () => {
    const text = JSON.stringify({ name: 'Zoë Ångström 日本語 '.repeat(2000) });
    const bytes = Buffer.from(text, 'utf8');
    const origin = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Writes of 679 bytes: many chunks, with multi-byte characters split between two of them.
      let at = 0;
      const step = () => {
        if (at >= bytes.length) return res.end();
        res.write(bytes.subarray(at, (at += 7 * 97)));
        setImmediate(step);
      };
      step();
    });
    const res = await make().send({ origin, method: 'GET', path: '/x' });
    assert.equal(res.text, text);
  });

  it('a blank body parses as undefined, without trimming it', () => {
    assert.equal(parseJsonBody(''), undefined);
    assert.equal(parseJsonBody(' \r\n\t'), undefined);
    assert.deepEqual(parseJsonBody(' {"a":1} '), { a: 1 });
    assert.throws(() => parseJsonBody('<html>'), SyntaxError);
  });
});
