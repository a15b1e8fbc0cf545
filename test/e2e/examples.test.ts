// End to end: a real Node-RED process of this pass's major, the package installed from `npm pack` into its
// user dir (as a user gets it), every example flow deployed through the Admin API against the simulator,
// triggered over HTTP (http-in endpoints, POST /inject/<id>), and checked by what the simulator saw and
// what the flows answered (HTTP answers, debug messages over /comms, flow context).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { start, type SimHandle, type LoggedRequest, type SeedParticipant, type ParticipantState, type SeededConversation } from '../../sim';
import { exampleFlows } from '../../scripts/example-flows';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { connectComms, type CommsClient } from '../support/comms';
import { nodeRedMain, nodeRedMajor, OUR_TYPES, projectRoot } from '../../testkit/node-red';
import { assertNoTeardown } from '../../testkit/no-teardown';
import { installPacked, PACKAGE_NAME, removePackDir } from '../support/packed-install';

// Fixed ids of the examples (examples/*.json).
const DEMO_CONVERSATION = '5d7a3f2e-1c4b-4e8a-9f6d-2b3c4d5e6f70';
const CAROL = '8c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const COMPLIANCE_TAB = 'a2000000000000a2';
const COMPLIANCE_INJECT = 'a200000000000002';
const COMPLIANCE_DEBUG = 'a20000000000000c';
const LIST_INJECT = 'a300000000000002';
const LIST_ALL_DEBUG = 'a300000000000004';
const LIST_LIVE_DEBUG = 'a300000000000006';
const BULK_DEBUG = 'a40000000000000c';
const KICK_AWAIT_INJECT = 'a500000000000002';
const KICK_AWAIT_ENDED = 'a500000000000005';
const KICK_AWAIT_CONVERSATION = 'c0a80001-4d2e-4f3a-9b1c-000000000003';
const BLAIR = 'b0000001-0000-4000-8000-000000000002';
const AUTO_EJECT_TAB = 'a6000000000000a6';
const AUTO_EJECT_INJECT = 'a60000000000000a';
const AUTO_EJECT_DEBUG = 'a600000000000006';
const AUTO_EJECT_QUEUE = 'd0000001-0000-4000-8000-000000000001';
const AUTO_EJECT_CONVERSATION = 'c0a80001-4d2e-4f3a-9b1c-000000000001';
const DENIED_USER = 'de000000-0000-4000-8000-000000000666';

let seq = 0;
/** A fresh valid UUID (v4 layout) per call, so tests never collide in the shared simulator. */
function uuid(prefix: string): string {
  seq += 1;
  const hex = (prefix + seq.toString(16))
    .replace(/[^0-9a-f]/g, '')
    .padStart(12, '0')
    .slice(-12);
  return `e2e00000-0000-4000-8000-${hex}`;
}

function customer(): SeedParticipant {
  return { id: uuid('c'), purpose: 'customer', name: 'Lawrenceburg IN', address: 'tel:+13175550100' };
}
function agent(name: string, userId = uuid('u')): SeedParticipant {
  return { id: uuid('a'), purpose: 'agent', name, userId };
}

interface Answer {
  status: number;
  body: any;
}
async function postJson(url: string, body: unknown): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`e2e: example flows in a real Node-RED ${nodeRedMajor} with the packed package`, function () {
  this.timeout(60_000);
  let sim: SimHandle;
  let nodeRed: NodeRedInstance | undefined;
  let comms: CommsClient | undefined;
  let tmp: string;
  let installedDir: string;
  let logMark = 0;

  /** Requests the simulator logged since the current test began. */
  async function newRequests(): Promise<LoggedRequest[]> {
    return (await sim.control.requests()).slice(logMark);
  }
  const patches = (log: LoggedRequest[]) => log.filter((r) => r.method === 'PATCH');
  async function participant(cid: string, pid: string) {
    const conv: SeededConversation = await sim.control.getState(cid);
    const p = conv.participants.find((x: ParticipantState) => x.id === pid);
    assert.ok(p, `participant ${pid} in ${cid}`);
    return p;
  }

  before(async function () {
    this.timeout(300_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-e2e-'));
    const userDir = path.join(tmp, 'user');
    sim = await start({ port: 0 });
    // The demo conference of the examples: customer, Carol (flagged) and another agent.
    await sim.control.seed({
      conversations: [
        {
          id: DEMO_CONVERSATION,
          participants: [
            { id: 'e2e0d000-0000-4000-8000-000000000001', purpose: 'customer', name: 'Lawrenceburg IN', address: 'tel:+13175550101' },
            { id: 'e2e0d000-0000-4000-8000-000000000002', purpose: 'agent', name: 'Carol Agent', userId: CAROL },
            { id: 'e2e0d000-0000-4000-8000-000000000003', purpose: 'agent', name: 'Dana Agent', userId: 'e2e0d000-0000-4000-8000-0000000000d1' },
            {
              id: 'e2e0d000-0000-4000-8000-000000000004',
              purpose: 'agent',
              name: 'Old Leg',
              userId: 'e2e0d000-0000-4000-8000-0000000000d2',
              state: 'terminated',
              disconnectType: 'transfer',
            },
          ],
        },
      ],
    });
    ({ installedDir } = await installPacked(userDir));
    nodeRed = await launchNodeRed({
      userDir,
      nodeRedMain,
      nodeBin: process.execPath,
      port: 0,
      credentialSecret: 'e2e-credential-secret',
      // No nodesDir: the only way to get our nodes is the installed package.
      // The auto-eject example's demo button reaches the simulator's control API there.
      env: { GENESYS_SIM_URL: sim.url },
    });
    await nodeRed.deploy(
      exampleFlows(projectRoot, {
        region: 'custom',
        apiBaseUrl: sim.url,
        authBaseUrl: sim.url,
        credentials: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
      }),
    );
    comms = await connectComms(nodeRed.url);
  });

  after(async function () {
    this.timeout(60_000);
    await comms?.close().catch(() => undefined);
    await nodeRed?.stop().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    removePackDir();
  });

  beforeEach(async () => {
    logMark = (await sim.control.requests()).length;
    comms?.clear();
  });

  afterEach(async () => {
    // No flow ever calls an endpoint that ends the call for everyone.
    await assertNoTeardown(sim.control);
  });

  it('loads every node type from the npm-packed package in the user dir (not from nodesDir)', async () => {
    assert.ok(fs.existsSync(path.join(installedDir, 'package.json')), 'installed under <userDir>/node_modules');
    assert.ok(!fs.existsSync(path.join(installedDir, 'test')), 'the tarball holds no tests');
    const res = await fetch(`${nodeRed!.url}/nodes`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets = (await res.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = sets.filter((s) => s.module === PACKAGE_NAME);
    for (const s of ours) assert.equal(s.err, undefined, `${s.types} failed to load: ${s.err}`);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...OUR_TYPES].sort());
    assert.ok(ours.every((s) => s.enabled));
    // The deploy started every example without a node reporting a missing type or a bad config.
    assert.ok(
      !nodeRed!.logs.some((l) => /Waiting for missing types|\[error\]/.test(l)),
      nodeRed!.logs.filter((l) => /error|missing/i.test(l)).join('\n'),
    );
  });

  it('serves the shared editor code from the packed package (resources/ is in package.json files) and the defaults in /settings', async () => {
    const res = await fetch(`${nodeRed!.url}/resources/${PACKAGE_NAME}/editor.js`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /window\.GenesysEditor = /);
    const settings = (await (await fetch(`${nodeRed!.url}/settings`)).json()) as Record<string, unknown>;
    for (const type of OUR_TYPES) {
      const name = `${type.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Defaults`;
      assert.equal(typeof settings[name], 'object', `${name} in /settings`);
    }
  });

  describe('supervisor-kick (POST /kick)', () => {
    it('removes exactly the named agent, confirms it, and answers 200 with the outcome', async () => {
      const ana = agent('Ana Agent');
      const ben = agent('Ben Agent');
      const cust = customer();
      const [conv] = await sim.control.seed({ conversations: [{ participants: [cust, ana, ben] }] });
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: conv.id, userId: ana.userId });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'disconnected');
      assert.equal(res.body.conversationId, conv.id);
      assert.equal(res.body.participantId, ana.id);
      assert.ok(res.body.confirmed, 'confirm is on in the example: the answer carries the confirmed end');
      // confirm on: by the time the flow answered, the leg had really ended.
      assert.ok(['disconnected', 'terminated'].includes((await participant(conv.id, ana.id!)).state));
      assert.equal((await participant(conv.id, ben.id!)).state, 'connected');
      assert.equal((await participant(conv.id, cust.id!)).state, 'connected');
      const p = patches(await newRequests());
      assert.equal(p.length, 1, JSON.stringify(p));
      assert.equal(p[0].path, `/api/v2/conversations/${conv.id}/participants/${ana.id}`);
      assert.deepEqual(p[0].body, { state: 'disconnected' });
      assert.equal(p[0].status, 202);
    });

    it('answers 400 invalid-input when userId is missing, and sends nothing to Genesys', async () => {
      const [conv] = await sim.control.seed({ conversations: [{ participants: [customer(), agent('A'), agent('B')] }] });
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: conv.id });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid-input');
      assert.match(res.body.error.message, /target|participantId|userId/);
      assert.deepEqual(await newRequests(), [], 'no request reached the simulator');
    });

    it('answers 400 invalid-input for a conversation id that is not a UUID, nothing sent', async () => {
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: 'not-a-uuid', userId: CAROL });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid-input');
      assert.match(res.body.error.message, /conversationId/);
      assert.deepEqual(await newRequests(), []);
    });

    it('answers 409 ambiguous-target with the candidates when the user has two live legs, and kicks nobody', async () => {
      const userId = uuid('dup');
      const leg1 = agent('Twin One', userId);
      const leg2 = agent('Twin Two', userId);
      const [conv] = await sim.control.seed({ conversations: [{ participants: [customer(), leg1, leg2, agent('Other')] }] });
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: conv.id, userId });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'ambiguous-target');
      assert.ok(Array.isArray(res.body.error.candidates) && res.body.error.candidates.length === 2, JSON.stringify(res.body));
      assert.equal(patches(await newRequests()).length, 0);
      const state = await sim.control.getState(conv.id);
      assert.ok(state.participants.every((p: ParticipantState) => p.state === 'connected'));
    });

    it('answers 404 target-not-found when the user only has a terminated leg', async () => {
      const gone = { ...agent('Gone Agent'), state: 'terminated' as const, disconnectType: 'transfer' };
      const [conv] = await sim.control.seed({ conversations: [{ participants: [customer(), gone, agent('Stays'), agent('Stays too')] }] });
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: conv.id, userId: gone.userId });
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'target-not-found');
      assert.equal(patches(await newRequests()).length, 0);
    });

    it('answers 409 keep-call-alive rather than leave the customer alone on the call', async () => {
      const only = agent('Only Agent');
      const cust = customer();
      const [conv] = await sim.control.seed({ conversations: [{ participants: [cust, only] }] });
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: conv.id, userId: only.userId });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'keep-call-alive');
      assert.equal(patches(await newRequests()).length, 0);
      assert.equal((await participant(conv.id, only.id!)).state, 'connected');
    });

    it('maps a Genesys 403 on the PATCH to 502 permission-denied with the correlation id', async () => {
      const ana = agent('Ana');
      const [conv] = await sim.control.seed({ conversations: [{ participants: [customer(), ana, agent('Ben')] }] });
      await sim.control.failNext([{ method: 'PATCH', path: '/participants/', status: 403, code: 'missing.permissions' }]);
      const res = await postJson(`${nodeRed!.url}/kick`, { conversationId: conv.id, userId: ana.userId });
      assert.equal(res.status, 502, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'permission-denied');
      const p = patches(await newRequests());
      assert.equal(p.length, 1, 'a 403 is not retried');
      assert.equal(p[0].status, 403);
      assert.equal(res.body.error.correlationId, p[0].correlationId);
      assert.equal((await participant(conv.id, ana.id!)).state, 'connected');
    });
  });

  describe('list-and-inspect (inject)', () => {
    it('shows every participant as one array and each live participant as its own message', async () => {
      const res = await fetch(`${nodeRed!.url}/inject/${LIST_INJECT}`, { method: 'POST' });
      assert.equal(res.status, 200);
      const all = await comms!.waitFor((m) => m.id === LIST_ALL_DEBUG);
      assert.ok(Array.isArray(all.value), JSON.stringify(all));
      const list = all.value as Array<{ id: string; purpose: string; state: string; userId?: string }>;
      assert.equal(list.length, 4);
      assert.deepEqual(list.map((p) => p.purpose).sort(), ['agent', 'agent', 'agent', 'customer']);
      assert.ok(list.some((p) => p.userId === CAROL));
      // Split: one message per live participant (the terminated leg is left out).
      await until('three live messages', async () => (comms!.messages.filter((m) => m.id === LIST_LIVE_DEBUG).length >= 3 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300)); // a fourth would arrive by now
      const live = comms!.messages.filter((m) => m.id === LIST_LIVE_DEBUG).map((m) => m.value as { id: string; state: string });
      assert.equal(live.length, 3, JSON.stringify(live));
      assert.ok(live.every((p) => p.id !== 'e2e0d000-0000-4000-8000-000000000004'));
      assert.equal(patches(await newRequests()).length, 0, 'listing never changes anything');
    });
  });

  describe('compliance-eject', () => {
    it('inject "flag Carol (demo)", a user id alone: finds her call, ejects Carol only, confirms, records the outcome', async () => {
      const res = await fetch(`${nodeRed!.url}/inject/${COMPLIANCE_INJECT}`, { method: 'POST' });
      assert.equal(res.status, 200);
      const out = await comms!.waitFor((m) => m.id === COMPLIANCE_DEBUG, 30_000);
      assert.ok(out);
      const carol = await participant(DEMO_CONVERSATION, 'e2e0d000-0000-4000-8000-000000000002');
      assert.ok(['disconnected', 'terminated'].includes(carol.state), carol.state);
      assert.equal((await participant(DEMO_CONVERSATION, 'e2e0d000-0000-4000-8000-000000000001')).state, 'connected');
      assert.equal((await participant(DEMO_CONVERSATION, 'e2e0d000-0000-4000-8000-000000000003')).state, 'connected');
      const log = await flowContext(COMPLIANCE_TAB, 'complianceLog');
      assert.ok(Array.isArray(log), JSON.stringify(log));
      const entry = (log as any[]).at(-1);
      assert.equal(entry.outcome, 'disconnected');
      assert.equal(entry.userId, CAROL);
      assert.equal(entry.participantId, 'e2e0d000-0000-4000-8000-000000000002');
      assert.ok(entry.correlationId, 'the Genesys correlation id is recorded');
      const log2 = await newRequests();
      const p = patches(log2);
      assert.equal(p.length, 1);
      assert.equal(p[0].path, `/api/v2/conversations/${DEMO_CONVERSATION}/participants/e2e0d000-0000-4000-8000-000000000002`);
      // Found by the analytics details query, for Carol, live calls only.
      const query = log2.find((r) => r.path === '/api/v2/analytics/conversations/details/query');
      assert.ok(query, 'the analytics details query');
      assert.ok(JSON.stringify(query!.body).includes(CAROL));
    });

    it('POST /compliance/flag for a user on no live call: answers 202, records "no-live-leg", kicks nobody', async () => {
      const res = await postJson(`${nodeRed!.url}/compliance/flag`, { userId: uuid('idle') });
      assert.equal(res.status, 202);
      await comms!.waitFor((m) => m.id === COMPLIANCE_DEBUG);
      const entry = ((await flowContext(COMPLIANCE_TAB, 'complianceLog')) as any[]).at(-1);
      assert.equal(entry.outcome, 'no-live-leg');
      assert.equal(patches(await newRequests()).length, 0);
    });

    it('POST /compliance/flag with a user on two live legs: answers 202, records "ambiguous", kicks nobody', async () => {
      const userId = uuid('amb');
      const [conv] = await sim.control.seed({
        conversations: [{ participants: [customer(), agent('Leg 1', userId), agent('Leg 2', userId), agent('Other')] }],
      });
      const before = ((await flowContext(COMPLIANCE_TAB, 'complianceLog')) as any[] | undefined)?.length ?? 0;
      const res = await postJson(`${nodeRed!.url}/compliance/flag`, { userId });
      assert.equal(res.status, 202);
      await comms!.waitFor((m) => m.id === COMPLIANCE_DEBUG);
      const log = (await flowContext(COMPLIANCE_TAB, 'complianceLog')) as any[];
      assert.equal(log.length, before + 1);
      assert.equal(log.at(-1).outcome, 'ambiguous');
      assert.equal(log.at(-1).candidates.length, 2);
      assert.deepEqual(log.at(-1).conversationIds, [conv.id]);
      assert.equal(patches(await newRequests()).length, 0);
    });

    it('POST /compliance/flag with a user id that is not one: records the error code from the Catch node', async () => {
      const res = await postJson(`${nodeRed!.url}/compliance/flag`, { userId: 'carol@example.com' });
      assert.equal(res.status, 202);
      await comms!.waitFor((m) => m.id === COMPLIANCE_DEBUG);
      const entry = ((await flowContext(COMPLIANCE_TAB, 'complianceLog')) as any[]).at(-1);
      assert.equal(entry.outcome, 'error');
      assert.ok(typeof entry.code === 'string' && entry.code.length > 0, JSON.stringify(entry));
      assert.equal(patches(await newRequests()).length, 0);
    });
  });

  describe('bulk-cleanup (POST /bulk-kick)', () => {
    it('kicks each listed participant once, counts every outcome, and refuses the customer', async () => {
      const a1 = agent('A1');
      const a2 = agent('A2');
      const cust3 = customer();
      const seeded = await sim.control.seed({
        conversations: [
          { participants: [customer(), a1, agent('Stay 1')] },
          { participants: [customer(), a2, agent('Stay 2'), agent('Stay 3')] },
          { participants: [cust3, agent('Stay 4'), agent('Stay 5')] },
        ],
      });
      const items = [
        { conversationId: seeded[0].id, participantId: a1.id },
        { conversationId: seeded[1].id, participantId: a2.id },
        { conversationId: seeded[2].id, participantId: cust3.id },
      ];
      const res = await postJson(`${nodeRed!.url}/bulk-kick`, items);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.total, 3);
      assert.equal(res.body.disconnected, 2);
      assert.equal(res.body.errors, 1);
      const refused = res.body.results.find((r: any) => r.outcome === 'error');
      assert.equal(refused.code, 'refuse-customer');
      assert.equal(refused.participantId, cust3.id);
      const p = patches(await newRequests());
      assert.deepEqual(
        p.map((r) => r.path).sort(),
        [`/api/v2/conversations/${seeded[0].id}/participants/${a1.id}`, `/api/v2/conversations/${seeded[1].id}/participants/${a2.id}`].sort(),
      );
      await until('both legs ended', async () => {
        const s = [await participant(seeded[0].id, a1.id!), await participant(seeded[1].id, a2.id!)];
        return s.every((x) => ['disconnected', 'terminated'].includes(x.state)) ? true : undefined;
      });
      assert.equal((await participant(seeded[2].id, cust3.id!)).state, 'connected');
      const summary = await comms!.waitFor((m) => m.id === BULK_DEBUG);
      assert.equal((summary.value as any).total, 3);
    });

    it('every agent of one call in one bulk (the msgs reach the disconnect node at once): all but one leave, the call goes on', async () => {
      await sim.control.setOptions({ lastPartyPolicy: 'end-conversation' });
      try {
        const agents = [agent('A'), agent('B'), agent('C')];
        const cust = customer();
        const [conv] = await sim.control.seed({ conversations: [{ participants: [cust, ...agents] }] });
        const res = await postJson(
          `${nodeRed!.url}/bulk-kick`,
          agents.map((a) => ({ conversationId: conv.id, participantId: a.id })),
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.disconnected, 2, JSON.stringify(res.body));
        assert.equal(res.body.errors, 1);
        assert.equal(res.body.results.find((r: any) => r.outcome === 'error').code, 'keep-call-alive');
        assert.equal(patches(await newRequests()).length, 2);
        const after = await until('two legs ended', async () => {
          const c: SeededConversation = await sim.control.getState(conv.id);
          return c.participants.filter((p) => p.state !== 'connected').length >= 2 ? c : undefined;
        });
        assert.deepEqual(
          after.participants
            .filter((p) => p.state === 'connected')
            .map((p) => p.purpose)
            .sort(),
          ['agent', 'customer'],
        );
        assert.equal((await sim.control.getState(conv.id)).endTime, undefined, 'the call goes on');
      } finally {
        await sim.control.setOptions({ lastPartyPolicy: 'stay' });
      }
    });
  });

  describe('kick-then-await (disconnect -> await end, no change node)', () => {
    it('inject "kick Blair (demo)": the await end node reports the end of exactly the kicked leg', async () => {
      const blair = { id: uuid('b'), purpose: 'agent', userId: BLAIR };
      await sim.control.seed({ conversations: [{ id: KICK_AWAIT_CONVERSATION, participants: [customer(), blair, agent('Alex')] }] });
      const res = await fetch(`${nodeRed!.url}/inject/${KICK_AWAIT_INJECT}`, { method: 'POST' });
      assert.equal(res.status, 200);
      const ended = await comms!.waitFor((m) => m.id === KICK_AWAIT_ENDED, 30_000);
      const payload = ended.value as any;
      assert.equal(payload.conversationId, KICK_AWAIT_CONVERSATION);
      assert.equal(payload.participantId, blair.id);
      assert.ok(['disconnected', 'terminated'].includes(payload.state), payload.state);
      assert.equal(patches(await newRequests()).length, 1);
    });
  });

  describe('auto-eject (queue events -> deny list -> disconnect -> record)', () => {
    it('inject "a denied user joins (demo)": the denied user is ejected, confirmed and recorded; an allowed joiner and everyone else stay', async () => {
      const queued = (name: string) => ({ id: uuid('q'), purpose: 'agent', name, userId: uuid('u'), queueId: AUTO_EJECT_QUEUE });
      const cust = customer();
      const [a, b] = [queued('Queue A'), queued('Queue B')];
      await sim.control.seed({ conversations: [{ id: AUTO_EJECT_CONVERSATION, participants: [cust, a, b] }] });
      await until('the queue topic subscribed', async () =>
        (await sim.control.notifications.state()).channels.some(
          (ch) => ch.connected && ch.topics.includes(`v2.routing.queues.${AUTO_EJECT_QUEUE}.conversations`),
        )
          ? true
          : undefined,
      );
      // A join of someone not on the deny list: nothing happens.
      const allowed = await sim.control.join(AUTO_EJECT_CONVERSATION, { purpose: 'agent', name: 'Allowed', userId: uuid('ok') });
      const res = await fetch(`${nodeRed!.url}/inject/${AUTO_EJECT_INJECT}`, { method: 'POST' });
      assert.equal(res.status, 200);
      const out = await comms!.waitFor((m) => m.id === AUTO_EJECT_DEBUG, 30_000);
      assert.equal((out.value as any).outcome, 'disconnected', JSON.stringify(out.value));
      const conv: SeededConversation = await sim.control.getState(AUTO_EJECT_CONVERSATION);
      const denied = conv.participants.find((p) => p.userId === DENIED_USER);
      assert.ok(denied, 'the demo button added the denied user');
      assert.ok(['disconnected', 'terminated'].includes(denied!.state), denied!.state);
      for (const id of [cust.id, a.id, b.id, allowed.id]) assert.equal((await participant(AUTO_EJECT_CONVERSATION, id!)).state, 'connected', id);
      const p = patches(await newRequests());
      assert.deepEqual(
        p.map((r) => r.path),
        [`/api/v2/conversations/${AUTO_EJECT_CONVERSATION}/participants/${denied!.id}`],
      );
      const log = (await flowContext(AUTO_EJECT_TAB, 'ejectLog')) as any[];
      assert.equal(log.length, 1);
      assert.deepEqual([log[0].participantId, log[0].userId, log[0].outcome, log[0].confirmed], [denied!.id, DENIED_USER, 'disconnected', true]);
    });
  });

  /** A flow context value, decoded (GET /context/flow/<tab>/<key> answers {msg, format}, as the editor shows it). */
  async function flowContext(tab: string, key: string): Promise<unknown> {
    const res = await fetch(`${nodeRed!.url}/context/flow/${tab}/${key}`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { msg?: string; format?: string };
    if (body.format === 'undefined' || typeof body.msg !== 'string') return undefined;
    return JSON.parse(body.msg);
  }
});
