// The editor's comms websocket (/comms) as a test client: subscribes to "debug" and collects what the debug
// nodes send to the sidebar, with the value decoded.
import { WebSocket } from 'undici';

export interface DebugMessage {
  /** The debug node's id. */
  id: string;
  name?: string;
  topic?: string;
  property?: string;
  format?: string;
  /** The value the debug node showed (JSON-decoded when it was an object, array or number). */
  value: unknown;
}

export interface CommsClient {
  messages: DebugMessage[];
  /** Resolves with the first message (already received or future) that matches. */
  waitFor(match: (m: DebugMessage) => boolean, timeoutMs?: number): Promise<DebugMessage>;
  /** Forgets the messages received so far. */
  clear(): void;
  close(): Promise<void>;
}

function decode(data: Record<string, unknown>): DebugMessage {
  const raw = data.msg;
  const format = typeof data.format === 'string' ? data.format : undefined;
  let value: unknown = raw;
  if (
    typeof raw === 'string' &&
    format &&
    (format === 'Object' || format.startsWith('array') || format === 'number' || format === 'boolean' || format === 'null')
  ) {
    try {
      value = JSON.parse(raw);
    } catch {
      /* leave the text */
    }
  }
  return {
    id: String(data.id),
    name: data.name as string | undefined,
    topic: data.topic as string | undefined,
    property: data.property as string | undefined,
    format,
    value,
  };
}

export async function connectComms(nodeRedUrl: string, timeoutMs = 10_000): Promise<CommsClient> {
  const ws = new WebSocket(`${nodeRedUrl.replace(/^http/, 'ws')}/comms`);
  const messages: DebugMessage[] = [];
  const waiters = new Set<() => void>();
  let onRuntimeState: (() => void) | undefined;
  ws.addEventListener('message', (event) => {
    let packets: unknown;
    try {
      packets = JSON.parse(String(event.data));
    } catch {
      return;
    }
    for (const p of Array.isArray(packets) ? packets : [packets]) {
      const packet = p as { topic?: string; data?: Record<string, unknown> };
      if (packet.topic === 'debug' && packet.data) messages.push(decode(packet.data));
      if (packet.topic === 'notification/runtime-state') onRuntimeState?.();
    }
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`comms websocket did not open within ${timeoutMs} ms`)), timeoutMs);
    ws.addEventListener(
      'open',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
    ws.addEventListener(
      'error',
      () => {
        clearTimeout(timer);
        reject(new Error('comms websocket failed to open'));
      },
      { once: true },
    );
  });
  // No adminAuth: the first non-auth packet completes the connection as the anonymous user. Then a
  // subscription to a retained topic (Node-RED retains notification/runtime-state once it has loaded its
  // flows): its answer says the runtime has processed our packets, rather than a guessed 200 ms.
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`comms websocket: no retained runtime-state within ${timeoutMs} ms`)), timeoutMs);
    onRuntimeState = () => {
      clearTimeout(timer);
      onRuntimeState = undefined;
      resolve();
    };
  });
  ws.send(JSON.stringify({ subscribe: 'debug' }));
  ws.send(JSON.stringify({ subscribe: 'notification/runtime-state' }));
  await ready;

  function waitFor(match: (m: DebugMessage) => boolean, waitMs = 15_000): Promise<DebugMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.find(match);
        if (found) {
          done();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching debug message within ${waitMs} ms; received: ${JSON.stringify(messages).slice(0, 2000)}`));
      }, waitMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  async function close(): Promise<void> {
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      ws.addEventListener(
        'close',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      ws.close();
    });
  }

  return {
    messages,
    waitFor,
    clear: () => {
      messages.length = 0;
    },
    close,
  };
}
