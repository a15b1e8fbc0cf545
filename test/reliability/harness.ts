// What the reliability suite and the benchmarks share: our four node modules loaded in Node-RED through
// node-red-node-test-helper, a flow wired to a simulator, a collector that records everything that comes out
// (outputs and the Catch node), conferences to seed, and a "token tap" that records every access token the
// nodes are given (so a test can prove no token leaks anywhere).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { helper } from '../support/node-red';
import configNode = require('../../nodes/genesys-cloud-config/genesys-cloud-config');
import listNode = require('../../nodes/genesys-list-participants/genesys-list-participants');
import disconnectNode = require('../../nodes/genesys-disconnect-participant/genesys-disconnect-participant');
import awaitNode = require('../../nodes/genesys-await-terminal/genesys-await-terminal');

export { helper };
export const ALL_NODES = [configNode, listNode, disconnectNode, awaitNode];
export const CONFIG_ID = 'cfg';
export const SIM_CREDENTIALS = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' };

export interface Origins {
  apiBaseUrl: string;
  authBaseUrl: string;
}

/**
 * One tab: the config node (custom region pointing at the simulator), the given nodes (each gets `genesys`
 * and `z`), helper nodes out1/out2 and a Catch (all nodes of the tab) wired to `caughtOut`.
 */
export function buildFlow(origins: Origins, nodes: Record<string, unknown>[], configExtra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return [
    { id: 'f1', type: 'tab', label: 'reliability' },
    {
      id: CONFIG_ID, type: 'genesys-cloud-config', name: 'sim', region: 'custom',
      apiBaseUrl: origins.apiBaseUrl, authBaseUrl: origins.authBaseUrl, requestsPerMinute: 300, maxRetryAfterSeconds: 180,
      ...configExtra,
    },
    ...nodes.map((n) => ({ z: 'f1', genesys: CONFIG_ID, ...n })),
    { id: 'out1', z: 'f1', type: 'helper' },
    { id: 'out2', z: 'f1', type: 'helper' },
    { id: 'caught', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caughtOut']] },
    { id: 'caughtOut', z: 'f1', type: 'helper' },
  ];
}

export async function loadFlow(
  origins: Origins,
  nodes: Record<string, unknown>[],
  opts: { config?: Record<string, unknown>; credentials?: Record<string, unknown>; lean?: boolean } = {},
): Promise<void> {
  const flow = buildFlow(origins, nodes, opts.config);
  await helper.load(ALL_NODES, flow, { [CONFIG_ID]: opts.credentials ?? SIM_CREDENTIALS });
  if (opts.lean) dropHelperSpies(flow.map((n) => n.id as string));
}

/**
 * The test helper wraps every Node method (send, status, log...) in a sinon spy that keeps every call's
 * arguments: fine for a unit test, but it costs time per msg and keeps every msg alive. Benchmarks and big
 * runs restore the real methods (helper nodes still emit 'input', which is all the collector needs).
 */
export function dropHelperSpies(nodeIds: readonly string[] = []): void {
  helper._sandbox.restore();
  // Node-RED copies Node.prototype.send onto each wired node when it is created (runtime/lib/nodes/Node.js):
  // the nodes made while the spies were on keep the spied copy. Give them the real one back.
  const proto = (helper as any)._NodePrototype;
  for (const id of nodeIds) {
    const node: any = helper.getNode(id);
    if (node && typeof node.send === 'function' && 'callCount' in node.send) node.send = proto.send;
  }
}

export type Port = 'out1' | 'out2' | 'error';
export interface Outcome {
  port: Port;
  msg: any;
  /** performance-clock ms when it came out. */
  at: number;
}

/** Records everything that comes out of out1, out2 and the Catch node; resolves waiters by count. */
export class Collector {
  readonly outcomes: Outcome[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly listeners: [any, (m: any) => void][] = [];

  constructor() {
    for (const id of ['out1', 'out2', 'caughtOut'] as const) {
      const node = helper.getNode(id);
      const port: Port = id === 'caughtOut' ? 'error' : id;
      const l = (msg: any) => {
        this.outcomes.push({ port, msg, at: performance.now() });
        this.onOutcome?.(this.outcomes[this.outcomes.length - 1]);
        this.waiters = this.waiters.filter((w) => {
          if (this.outcomes.length >= w.count) w.resolve();
          return this.outcomes.length < w.count;
        });
      };
      node.on('input', l);
      this.listeners.push([node, l]);
    }
  }

  onOutcome?: (o: Outcome) => void;

  /** Resolves once `count` outcomes in all have come out; rejects after timeoutMs. */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.outcomes.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.outcomes.length} of ${count} outcomes after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ count, resolve: done });
    });
  }

  clear(): void {
    this.outcomes.length = 0;
  }

  close(): void {
    for (const [n, l] of this.listeners) n.removeListener('input', l);
  }
}

/** The error our node put on a caught msg (Node-RED moves the node's msg.error to msg._error for Catch). */
export function caughtError(msg: any): { code: string; message: string; field?: string; status?: number } | undefined {
  const e = msg?._error && typeof msg._error === 'object' && 'code' in msg._error ? msg._error : msg?.error;
  return e && typeof e === 'object' && 'code' in e ? e : undefined;
}

export interface Conference {
  /** Seed shape for control.seed(). */
  participants: Record<string, unknown>[];
}

/** A 4-party conference: a customer and three agents (each with a userId). `targetExtra` goes on agent 1. */
export function fourParty(targetExtra: Record<string, unknown> = {}): Conference {
  return {
    participants: [
      { purpose: 'customer', name: 'Customer', address: 'tel:+15550100' },
      { purpose: 'agent', name: 'Agent 1', userId: randomUUID(), ...targetExtra },
      { purpose: 'agent', name: 'Agent 2', userId: randomUUID() },
      { purpose: 'agent', name: 'Agent 3', userId: randomUUID() },
    ],
  };
}

/** Seeds in batches (a control request per batch stays small). */
export async function seedMany(control: { seed(s: any): Promise<any[]> }, conferences: Conference[], batch = 250): Promise<any[]> {
  const out: any[] = [];
  for (let i = 0; i < conferences.length; i += batch) {
    out.push(...(await control.seed({ conversations: conferences.slice(i, i + batch) })));
  }
  return out;
}

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
          } catch { /* not JSON: an error answer */ }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.end(text);
        });
      });
      up.on('error', () => { res.destroy(); });
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Largest number of entries of `times` (ms, any order) inside any window of `windowMs`. */
export function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
