// A small hostile Notification Service for lib/ unit tests of the channel manager: the channel and subscription
// endpoints over HTTP (test-server.ts) and a WebSocket server for the channels (ws), both on 127.0.0.1:0. The
// test scripts its faults: reject topics, drop sockets, stay silent to pings, send socket_closing, forget a
// channel. The simulator's own Notification Service is tested against in test/lib/push-sim.test.ts.
import type { AddressInfo } from 'node:net';
import WebSocket = require('ws');
import { sendJson, startTestServer, withTokenGrant, type Handler, type RecordedRequest, type TestServer } from './test-server';

export interface FakeChannel {
  id: string;
  topics: Set<string>;
  sockets: WebSocket[];
  /** Gone: HEAD and subscriptions answer 404, the socket is refused. */
  gone: boolean;
}

export interface FakePush {
  http: TestServer;
  /** The fake's own request handler (to wrap with a fault). */
  handler: Handler;
  channels: Map<string, FakeChannel>;
  /** Topics matching this are Rejected with a missing permission. */
  reject: RegExp | undefined;
  /** Answer pings with a pong (default true). */
  pong: boolean;
  /** Seconds until a new channel expires (default 24 h). */
  expiresInS: number;
  /** The connectUri a new channel gets (default: the fake's own ws:// socket server). */
  connectUri: ((id: string, wsPort: number) => string) | undefined;
  /** What the sockets received (pings). */
  received: string[];
  /** Extra API handler for other paths (conversation reads...). */
  api: ((req: RecordedRequest, res: import('node:http').ServerResponse) => void) | undefined;
  subscriptionRequests(): RecordedRequest[];
  channelCreations(): RecordedRequest[];
  /** Sends a message to every open socket of the channel. */
  send(channelId: string, message: unknown): void;
  /** An event on a topic, to the channel that holds it. */
  event(topic: string, body: unknown): void;
  openSockets(): number;
  close(): Promise<void>;
}

export async function startFakePush(): Promise<FakePush> {
  const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const wsPort = (wss.address() as AddressInfo).port;
  let n = 0;
  const fake: FakePush = {
    http: undefined as unknown as TestServer,
    handler: undefined as unknown as Handler,
    channels: new Map(),
    reject: undefined,
    pong: true,
    expiresInS: 86_400,
    connectUri: undefined,
    received: [],
    api: undefined,
    subscriptionRequests: () => fake.http.requests.filter((r) => r.path.includes('/subscriptions')),
    channelCreations: () => fake.http.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/notifications/channels'),
    send(channelId, message) {
      for (const s of fake.channels.get(channelId)?.sockets ?? []) if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify(message));
    },
    event(topic, body) {
      for (const ch of fake.channels.values())
        if (ch.topics.has(topic)) fake.send(ch.id, { topicName: topic, version: '2', eventBody: body, metadata: { CorrelationId: 'c' } });
    },
    openSockets: () => [...wss.clients].filter((s) => s.readyState === WebSocket.OPEN).length,
    close: async () => {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await fake.http.close();
    },
  };

  wss.on('connection', (socket, req) => {
    const id = /^\/channels\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const ch = id ? fake.channels.get(id) : undefined;
    if (!ch || ch.gone) return socket.close(4004, 'no such channel');
    // One socket per channel: a second one disconnects the first (docs/platform.md section 7).
    for (const old of ch.sockets) old.close(4001, 'another socket');
    ch.sockets = [socket];
    socket.on('message', (data) => {
      const text = String(data);
      fake.received.push(text);
      if (fake.pong && text.includes('ping')) socket.send(JSON.stringify({ topicName: 'channel.metadata', eventBody: { message: 'pong' } }));
    });
  });

  fake.handler = withTokenGrant((req, res) => {
    const url = new URL(req.path, 'http://x');
    if (req.method === 'POST' && url.pathname === '/api/v2/notifications/channels') {
      const id = `ch-${++n}`;
      fake.channels.set(id, { id, topics: new Set(), sockets: [], gone: false });
      return sendJson(res, 200, {
        id,
        connectUri: fake.connectUri ? fake.connectUri(id, wsPort) : `ws://127.0.0.1:${wsPort}/channels/${id}`,
        expires: new Date(Date.now() + fake.expiresInS * 1000).toISOString(),
      });
    }
    const m = /^\/api\/v2\/notifications\/channels\/([\w-]+)(\/subscriptions)?$/.exec(url.pathname);
    if (m) {
      const ch = fake.channels.get(m[1]);
      if (!ch || ch.gone) return sendJson(res, 404, { code: 'not.found', message: 'channel not found', status: 404 });
      if (!m[2]) return sendJson(res, 200, undefined);
      const body = req.body ? (JSON.parse(req.body) as { id: string }[]) : [];
      if (req.method === 'PUT') ch.topics.clear();
      const entities = [];
      for (const { id } of body) {
        if (fake.reject?.test(id)) {
          entities.push({
            id,
            state: 'Rejected',
            rejectionReason: 'Missing permissions',
            missingPermissions: ['analytics:conversationDetail:view'],
          });
        } else {
          ch.topics.add(id);
          entities.push({ id, state: 'Permitted' });
        }
      }
      if (ch.topics.size > 1000) return sendJson(res, 400, { code: 'too.many.topics', status: 400 });
      return sendJson(res, 200, { entities });
    }
    if (fake.api) return fake.api(req, res);
    return sendJson(res, 404, { code: 'not.found', status: 404 });
  });
  fake.http = await startTestServer(fake.handler);
  return fake;
}
