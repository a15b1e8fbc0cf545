// The one Node-RED harness of the tests and the benchmarks: our node modules loaded in Node-RED through
// node-red-node-test-helper, a flow wired to a simulator (helper nodes out1/out2 and a Catch of the whole tab),
// what comes out of it (the first outcome with run(), all of them with a Collector), and the mocha hooks that
// unload the flow after every test.
import * as assert from 'node:assert/strict';
import { start, type SeedParticipant, type SimHandle, type SimOptions } from '../sim';
import { seedConversation } from './fixtures';
import { helper } from './node-red';
import { assertNoTeardown } from './no-teardown';
import configNode = require('../nodes/genesys-cloud-config/genesys-cloud-config');
import listNode = require('../nodes/genesys-list-participants/genesys-list-participants');
import disconnectNode = require('../nodes/genesys-disconnect-participant/genesys-disconnect-participant');
import awaitNode = require('../nodes/genesys-await-terminal/genesys-await-terminal');
import findNode = require('../nodes/genesys-find-conversations/genesys-find-conversations');
import eventsNode = require('../nodes/genesys-events/genesys-events');

export { helper };
export const ALL_NODES = [configNode, listNode, disconnectNode, awaitNode, findNode, eventsNode];
export type Sim = SimHandle;

export const CONFIG_ID = 'cfg';
/** The simulator's default client. */
export const SIM_CREDENTIALS = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' };

/** Where the config node sends API requests and token grants (a string: both to that origin). */
export interface Origins {
  apiBaseUrl: string;
  authBaseUrl: string;
}

/**
 * One tab: the config node (custom region pointing at the simulator), the given nodes (each gets `genesys`
 * and `z`), helper nodes out1/out2 and a Catch (all nodes of the tab) wired to `caughtOut`.
 */
export function flow(sim: string | Origins, nodes: Record<string, unknown>[], configExtra: Record<string, unknown> = {}): Record<string, unknown>[] {
  const origins = typeof sim === 'string' ? { apiBaseUrl: sim, authBaseUrl: sim } : sim;
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: CONFIG_ID,
      type: 'genesys-cloud-config',
      name: 'sim',
      region: 'custom',
      ...origins,
      requestsPerMinute: 300,
      maxRetryAfterSeconds: 180,
      ...configExtra,
    },
    ...nodes.map((n) => ({ z: 'f1', genesys: CONFIG_ID, ...n })),
    { id: 'out1', z: 'f1', type: 'helper' },
    { id: 'out2', z: 'f1', type: 'helper' },
    { id: 'caught', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caughtOut']] },
    { id: 'caughtOut', z: 'f1', type: 'helper' },
  ];
}

/** Loads a flow with the config node's credentials (the simulator's default client unless given). `lean`
 * drops the helper's spies (see dropHelperSpies); `extraTypes`: node modules besides ours (a benchmark's own). */
export async function load(
  sim: string | Origins,
  nodes: Record<string, unknown>[],
  opts: { credentials?: Record<string, unknown>; config?: Record<string, unknown>; lean?: boolean; extraTypes?: unknown[] } = {},
): Promise<void> {
  const nodesOfFlow = flow(sim, nodes, opts.config);
  await helper.load([...ALL_NODES, ...(opts.extraTypes ?? [])], nodesOfFlow, { [CONFIG_ID]: opts.credentials ?? SIM_CREDENTIALS });
  if (opts.lean) dropHelperSpies(nodesOfFlow.map((n) => n.id as string));
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
  const proto = helper._NodePrototype;
  for (const id of nodeIds) {
    const node = helper.getNode(id);
    if (node && typeof node.send === 'function' && 'callCount' in node.send) node.send = proto.send;
  }
}

export type Port = 'out1' | 'out2' | 'error';
export interface Outcome {
  port: Port;
  msg: any;
  /** Date.now() when it came out. */
  at: number;
}

/** Records everything that comes out of out1, out2 and the Catch node; resolves waiters by count. */
export class Collector {
  readonly outcomes: Outcome[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly listeners: [any, (m: unknown) => void][] = [];

  constructor() {
    for (const id of ['out1', 'out2', 'caughtOut'] as const) {
      const node = helper.getNode(id);
      const port: Port = id === 'caughtOut' ? 'error' : id;
      const l = (msg: unknown) => {
        this.outcomes.push({ port, msg, at: Date.now() });
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

/** Every status node `id` shows from now on, in order (the node's own status calls still go through). */
export function recordStatuses(id: string): any[] {
  const n = helper.getNode(id);
  const seen: any[] = [];
  const original = n.status.bind(n);
  n.status = (s: any) => {
    seen.push(s);
    return original(s);
  };
  return seen;
}

/**
 * Resolves once the statuses asked for in this turn of the event loop are painted: a flow node paints a msg's
 * status at the end of the turn, after Node-RED has passed the msg on (nodes/shared/flow-node.ts).
 */
export function statusPainted(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Sends msg to node `id` and resolves with the first thing that comes out: out1, out2 or the Catch node. */
export async function run(id: string, msg: Record<string, unknown>, timeoutMs = 20_000): Promise<Outcome> {
  const collector = new Collector();
  try {
    helper.getNode(id).receive(msg);
    await collector.waitFor(1, timeoutMs).catch(() => {
      throw new Error(`nothing came out of ${id} within ${timeoutMs} ms`);
    });
    return collector.outcomes[0];
  } finally {
    collector.close();
  }
}

/** The error our node put on a caught msg (Node-RED moves the node's msg.error to msg._error for Catch). */
export function caughtError(msg: any): { code: string; message: string; field?: string; status?: number } | undefined {
  const e = msg?._error && typeof msg._error === 'object' && 'code' in msg._error ? msg._error : msg?.error;
  return e && typeof e === 'object' && 'code' in e ? e : undefined;
}

/** Expects an error with this code seen by the Catch node; returns the caught msg. */
export async function expectError(id: string, msg: Record<string, unknown>, code: string): Promise<any> {
  const o = await run(id, msg);
  assert.equal(o.port, 'error', `expected error ${code}, got ${o.port}: ${JSON.stringify(o.msg.payload)}`);
  assert.equal(o.msg.error.code, code, `error: ${o.msg.error.message}`);
  // Node-RED moves the node's own msg.error (our MsgError) to msg._error for the Catch node.
  assert.equal(o.msg._error.code, code);
  return o.msg;
}

/** Registers the mocha hooks of a file that loads flows itself: the test helper's server for the whole file,
 * and the flow unloaded after each test. */
export function useNodeRed(): void {
  before(async () => {
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
  });
  after(async () => {
    await helper.stopServer();
  });
}

/** What useNodeTestServer() gives the tests. Set by its hooks: read it inside tests only. */
export interface NodeTestServer {
  /** A new simulator for each test. */
  sim: Sim;
  /** With `seed`: the conversation seeded into it before each test, and its participants' ids in order. */
  cid: string;
  ids: string[];
}

/**
 * Registers the mocha hooks of a node test file: the test helper's server for the whole file, a new simulator
 * for each test (on port 0, plus `simOptions`) with the conversation `seed` if given, and after each test `beforeTeardown` if given, then the flow
 * unloaded with the check that no teardown call reached the simulator, then the simulator closed.
 */
export function useNodeTestServer(
  opts: { simOptions?: SimOptions; seed?: SeedParticipant[]; beforeTeardown?: (sim: Sim) => Promise<void> | void } = {},
): NodeTestServer {
  const server = {} as NodeTestServer;
  before(async () => {
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });
  beforeEach(async () => {
    server.sim = await start({ port: 0, ...opts.simOptions });
    if (opts.seed) ({ cid: server.cid, ids: server.ids } = await seedConversation(server.sim, opts.seed));
  });
  afterEach(async () => {
    try {
      await opts.beforeTeardown?.(server.sim);
      await helper.unload();
      await assertNoTeardown(server.sim.control);
    } finally {
      await server.sim.close();
    }
  });
  return server;
}
