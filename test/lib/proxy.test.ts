// HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment, as Node-RED's http request node honours them:
// a real forward proxy on loopback must see the client's token grant and API call.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { start, type SimHandle } from '../../sim';
import { simClient } from '../../testkit/sim-client';
import { until } from '../support/until';

const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];
const CONVERSATION = {
  conversations: [{ id: 'c0ffee00-0000-4000-8000-0000000000aa', participants: [{ purpose: 'customer' }, { purpose: 'agent' }] }],
};

interface Proxy {
  url: string;
  seen: string[];
  /** WebSocket upgrade requests seen inside the CONNECT tunnels (their request line). */
  upgrades: string[];
  close(): Promise<void>;
}

/** A forward proxy: CONNECT tunnels and absolute-form requests, each recorded as "METHOD target". */
async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const upgrades: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url!);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.on('connect', (req, client: net.Socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    // What goes through the tunnel in clear (the simulator speaks http/ws): note every WebSocket upgrade.
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (/^upgrade: websocket\r?$/im.test(text)) upgrades.push(text.split('\r\n')[0]);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('lib/http: proxy from the environment', () => {
  let sim: SimHandle;
  let saved: Record<string, string | undefined>;
  before(async () => {
    sim = await start({ port: 0, scenario: CONVERSATION });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
    for (const k of PROXY_VARS) delete process.env[k];
  });
  afterEach(() => {
    for (const k of PROXY_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  const read = async () => {
    const client = simClient(sim.url, {});
    try {
      return await client.request({ method: 'GET', path: `/api/v2/conversations/${CONVERSATION.conversations[0].id}` });
    } finally {
      await client.close();
    }
  };

  /** Runs `body` with a proxy started and HTTP_PROXY pointing at it; the proxy is closed after. */
  const withHttpProxy = async (body: (proxy: Proxy) => Promise<void>) => {
    const proxy = await startProxy();
    try {
      process.env.HTTP_PROXY = proxy.url;
      await body(proxy);
    } finally {
      await proxy.close();
    }
  };

  it('sends the token grant and the API call through HTTP_PROXY', () =>
    withHttpProxy(async (proxy) => {
      const res = await read();
      assert.equal(res.status, 200);
      const host = new URL(sim.url).host;
      // undici tunnels through the proxy (CONNECT) by default; either form proves the proxy carried the call.
      assert.ok(
        proxy.seen.some((s) => s === `CONNECT ${host}` || s.startsWith(`POST ${sim.url}/oauth/token`)),
        proxy.seen.join('\n'),
      );
    }));

  it('goes direct for a host listed in NO_PROXY, and with no proxy set', () =>
    withHttpProxy(async (proxy) => {
      process.env.NO_PROXY = '127.0.0.1';
      assert.equal((await read()).status, 200);
      delete process.env.HTTP_PROXY;
      delete process.env.NO_PROXY;
      assert.equal((await read()).status, 200);
      assert.deepEqual(proxy.seen, []);
    }));

  it("the Notification Service's WebSocket goes through the proxy too, and direct without one", async () => {
    const openSocket = async () => {
      const client = simClient(sim.url, { notifications: { enabled: true } });
      try {
        // A topic of the seeded conversation: subscribing it creates a channel and opens its socket.
        const topic = `v2.detail.events.conversation.${CONVERSATION.conversations[0].id}.user.end`;
        const listener = { pushEvent: () => undefined, pushState: () => undefined };
        client.notifications.subscribe(topic, listener);
        try {
          await until(() => client.notifications.state(topic) === 'live', 'the topic to be live on an open socket');
        } finally {
          client.notifications.unsubscribe(topic, listener);
        }
      } finally {
        await client.close();
      }
    };
    await withHttpProxy(async (proxy) => {
      await openSocket();
      assert.equal(proxy.upgrades.length, 1, `one upgrade through the tunnel: ${proxy.upgrades.join(' | ')}`);
      assert.match(proxy.upgrades[0], /^GET \/\S+ HTTP\/1\.1$/);
      delete process.env.HTTP_PROXY;
      await openSocket();
      assert.equal(proxy.upgrades.length, 1, 'no proxy variable: the socket goes direct');
    });
  });
});
