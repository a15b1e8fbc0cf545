// Shared set-up of the node tests: the node modules, the mocha hooks (test server, a simulator per test),
// a flow wired to the simulator, and waiting for what a node does with one msg (its output, or the error a
// Catch node sees).
import * as assert from 'node:assert/strict';
import { helper } from '../support/node-red';
import { start, type SeedParticipant, type SimOptions } from '../../sim';
import configNode = require('../../nodes/genesys-cloud-config/genesys-cloud-config');
import listNode = require('../../nodes/genesys-list-participants/genesys-list-participants');
import disconnectNode = require('../../nodes/genesys-disconnect-participant/genesys-disconnect-participant');
import awaitNode = require('../../nodes/genesys-await-terminal/genesys-await-terminal');
import findNode = require('../../nodes/genesys-find-conversations/genesys-find-conversations');

export { helper };
export const ALL_NODES = [configNode, listNode, disconnectNode, awaitNode, findNode];
export type Sim = Awaited<ReturnType<typeof start>>;
export { start as startSim };

export const CONFIG_ID = 'cfg';
export const CRED_OK = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' };

/** A flow: one tab, the config node pointing at the simulator, the given nodes, a Catch and outputs. */
export function flow(simUrl: string, nodes: Record<string, unknown>[], configExtra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: CONFIG_ID, type: 'genesys-cloud-config', name: 'sim', region: 'custom', apiBaseUrl: simUrl, authBaseUrl: simUrl, requestsPerMinute: 300, maxRetryAfterSeconds: 180, ...configExtra },
    ...nodes.map((n) => ({ z: 'f1', genesys: CONFIG_ID, ...n })),
    { id: 'out1', z: 'f1', type: 'helper' },
    { id: 'out2', z: 'f1', type: 'helper' },
    { id: 'caught', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caughtOut']] },
    { id: 'caughtOut', z: 'f1', type: 'helper' },
  ];
}

/** Loads a flow with the config node's credentials. */
export async function load(simUrl: string, nodes: Record<string, unknown>[], opts: { credentials?: Record<string, string>; config?: Record<string, unknown> } = {}): Promise<void> {
  await helper.load(ALL_NODES, flow(simUrl, nodes, opts.config), { [CONFIG_ID]: opts.credentials ?? CRED_OK });
}

export type Outcome = { port: 'out1' | 'out2' | 'error'; msg: any; at: number };

/** Sends msg to node `id` and resolves with the first thing that comes out: out1, out2 or the Catch node. */
export function run(id: string, msg: Record<string, unknown>, timeoutMs = 20_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const listeners: [any, (m: any) => void][] = [];
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      for (const [n, l] of listeners) n.removeListener('input', l);
      resolve(o);
    };
    for (const port of ['out1', 'out2', 'caughtOut'] as const) {
      const n = helper.getNode(port);
      const l = (m: any) => finish({ port: port === 'caughtOut' ? 'error' : port, msg: m, at: Date.now() });
      n.on('input', l);
      listeners.push([n, l]);
    }
    const timer = setTimeout(() => {
      for (const [n, l] of listeners) n.removeListener('input', l);
      reject(new Error(`nothing came out of ${id} within ${timeoutMs} ms`));
    }, timeoutMs);
    helper.getNode(id).receive(msg);
  });
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

/** Unload the flow; check the simulator never saw a teardown call. */
export async function teardown(sim: Sim | undefined): Promise<void> {
  await helper.unload();
  if (sim) {
    const c = await sim.control.counters();
    assert.deepEqual(c.teardown, { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 });
  }
}

/** What useNodeTestServer() gives the tests. Set by its hooks: read it inside tests only. */
export interface NodeTestServer {
  /** A new simulator for each test. */
  sim: Sim;
}

/**
 * Registers the mocha hooks of a node test file: the test helper's server for the whole file, a new simulator
 * for each test (on port 0, plus `simOptions`), and after each test `beforeTeardown` if given, then the flow
 * unloaded with the check that no teardown call reached the simulator, then the simulator closed.
 */
export function useNodeTestServer(opts: { simOptions?: SimOptions; beforeTeardown?: (sim: Sim) => Promise<void> | void } = {}): NodeTestServer {
  const server = {} as NodeTestServer;
  before(async () => { await helper.startServer(); });
  after(async () => { await helper.stopServer(); });
  beforeEach(async () => { server.sim = await start({ port: 0, ...opts.simOptions }); });
  afterEach(async () => {
    try {
      await opts.beforeTeardown?.(server.sim);
      await teardown(server.sim);
    } finally {
      await server.sim.close();
    }
  });
  return server;
}

/** Seeds one conversation with these participants; returns its id and the participants' ids in order. */
export async function seedConversation(sim: Sim, participants: SeedParticipant[]): Promise<{ cid: string; ids: string[] }> {
  const [conv] = await sim.control.seed({ conversations: [{ participants }] });
  return { cid: conv.id, ids: conv.participants.map((p) => p.id) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A 5-party conference: customer, two agents (one held), a ringing external, and a user with a terminated
 * leg (failed transfer) plus a live one. */
export const USER_A = '0a0a0a0a-1111-4111-8111-aaaaaaaaaaaa';
export const USER_B = '0b0b0b0b-2222-4222-8222-bbbbbbbbbbbb';
export const USER_C = '0c0c0c0c-3333-4333-8333-cccccccccccc';
export function conference() {
  return {
    participants: [
      { purpose: 'customer', name: 'Caller', address: 'tel:+15551230000' },
      { purpose: 'agent', name: 'Ana', userId: USER_A },
      { purpose: 'agent', name: 'Ben', userId: USER_B, held: true },
      { purpose: 'user', name: 'Cy', userId: USER_C, state: 'terminated' as const, disconnectType: 'transfer' },
      { purpose: 'user', name: 'Cy', userId: USER_C },
      { purpose: 'external', name: 'Expert', address: 'tel:+15559870000', state: 'alerting' as const },
    ],
  };
}
