// Shared pieces of the benchmarks: Node-RED (test helper, spies dropped) loaded with our nodes against a
// simulator in its own process, a plain undici baseline client, gc access, and small timing helpers.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Agent, request } from 'undici';
import { Collector, helper, load } from '../testkit/harness';
import { fourParty, seedMany } from '../testkit/fixtures';
import type { HostedSim } from './sim-host';

export { Collector, helper };

v8.setFlagsFromString('--expose-gc');
const gcFn = vm.runInNewContext('gc') as () => void;

/** A full gc, twice (weak refs and finalizers), then the memory figures. */
export function memoryAfterGc(): NodeJS.MemoryUsage {
  gcFn();
  gcFn();
  return process.memoryUsage();
}

export interface SettledMemory extends NodeJS.MemoryUsage {
  /** rss read at once after the gcs (what memoryAfterGc reports). */
  rssAtGc: number;
}

/**
 * memoryAfterGc, with rss read once V8 has handed back what those gcs freed. V8 unmaps the pages a gc frees
 * on a background thread, so rss read synchronously after gc() still counts them: in the 10,000-await bench
 * it read 287 MB at the gc and 201 MB 100 ms later, without another gc (the waits went on polling). The
 * heap figures are those of the gc; rss is the lowest reading within `maxMs` after it (it stops early once
 * rss no longer falls: the process keeps working meanwhile and may grow again).
 */
export async function settledMemory(maxMs = 1_000): Promise<SettledMemory> {
  const m = memoryAfterGc();
  let rss = m.rss;
  for (let waited = 0; waited < maxMs; waited += 50) {
    await sleep(50);
    const now = process.memoryUsage.rss();
    const fell = now < rss - 1024 * 1024;
    rss = Math.min(rss, now);
    if (!fell && waited >= 100) break;
  }
  return { ...m, rssAtGc: m.rss, rss };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Loads the given nodes (wired to out1/out2) against the sim, spies dropped; returns a fresh collector. */
export async function loadBenchFlow(
  sim: HostedSim,
  nodes: Record<string, unknown>[],
  requestsPerMinute: number,
  configExtra: Record<string, unknown> = {},
  extraTypes: unknown[] = [],
): Promise<Collector> {
  await helper.unload();
  await load(sim.url, nodes, { config: { requestsPerMinute, ...configExtra }, lean: true, extraTypes });
  return new Collector();
}

/**
 * The baseline: what a hand-written flow does with plain undici (keep-alive pool to the same origin, one
 * token fetched up front, no validation, no limiter, no retry). API calls use undici's usual request API in its
 * faster form (agent.request with an origin and a path): the top-level request(url) parses a URL per call and
 * measured ~15% slower per PATCH, which would flatter every ratio against this baseline. (Our transport uses
 * the lower-level dispatch: lib/platform/http.ts AnswerReader.)
 */
export class PlainClient {
  readonly agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
  token = '';
  constructor(readonly origin: string) {}

  async grant(): Promise<void> {
    const res = await request(`${this.origin}/oauth/token`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: {
        authorization: `Basic ${Buffer.from('sim-client-id:sim-client-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    this.token = ((await res.body.json()) as { access_token: string }).access_token;
  }

  async patch(conversationId: string, participantId: string): Promise<{ status: number; retryAfter?: number }> {
    const res = await this.agent.request({
      origin: this.origin,
      path: `/api/v2/conversations/${conversationId}/participants/${participantId}`,
      method: 'PATCH',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: '{"state":"disconnected"}',
    });
    await res.body.dump();
    const ra = res.headers['retry-after'];
    return { status: res.statusCode, retryAfter: ra === undefined ? undefined : Number(ra) };
  }

  async get(conversationId: string): Promise<{ status: number; retryAfter?: number; body?: any }> {
    const res = await this.agent.request({
      origin: this.origin,
      path: `/api/v2/conversations/${conversationId}`,
      method: 'GET',
      headers: { authorization: `Bearer ${this.token}` },
    });
    const ra = res.headers['retry-after'];
    const body = res.statusCode === 200 ? await res.body.json() : (await res.body.dump(), undefined);
    return { status: res.statusCode, retryAfter: ra === undefined ? undefined : Number(ra), body };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * Node-RED's own share of a kick: a node type `bench-plain-patch` whose input handler makes the baseline's plain
 * PATCH (msg.conversationId, msg.participantId) and sends the msg on. No validation, guard, ledger, limiter,
 * retry or status: what is left is Node-RED passing the msg in and out, the floor of any node.
 */
export function plainPatchNodeType(plain: PlainClient) {
  return (RED: any) => {
    function BenchPlainPatch(this: any, config: any) {
      RED.nodes.createNode(this, config);
      this.on('input', (msg: any, send: (m: unknown) => void, done: (err?: Error) => void) => {
        plain.patch(msg.conversationId, msg.participantId).then((res) => {
          if (res.status !== 202) return done(new Error(`PATCH answered ${res.status}`));
          msg.payload = { outcome: 'disconnected' };
          send(msg);
          done();
        }, done);
      });
    }
    RED.nodes.registerType('bench-plain-patch', BenchPlainPatch);
  };
}

/** Seeds `n` four-party conferences; returns [conversationId, target participant (agent 1) id, userId]. */
export async function conferences(
  sim: HostedSim,
  n: number,
  targetExtra: (i: number) => Record<string, unknown> = () => ({}),
): Promise<{ cid: string; pid: string; userId: string }[]> {
  const seeded = await seedMany(
    sim.control,
    Array.from({ length: n }, (_, i) => fourParty(targetExtra(i))),
  );
  return seeded.map((c) => ({ cid: c.id, pid: c.participants[1].id, userId: c.participants[1].userId as string }));
}
