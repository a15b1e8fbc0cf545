// The guards hold for a conversation as a whole (docs/architecture.md 2.4): concurrent and back-to-back kicks of every agent
// of a call leave the customer and one agent connected; kicks on different conversations stay concurrent.
// Against the simulator (its last-party policy ends the call when one party is left, so a broken guard shows),
// and against a hostile local server whose legs never end after a 202 and that answers what Genesys never would.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GenesysClient } from '../../lib/platform/client';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { GenesysError } from '../../lib/platform/errors';
import { KickLedger } from '../../lib/conversation/kick-ledger';
import { kickParticipant, type KickOptions } from '../../lib/conversation/kick';
import { useSimulatorClient } from '../support/sim-session';
import { sendJson, startTestServer, withTokenGrant, type TestServer } from '../support/test-server';
import { simClient } from '../../testkit/sim-client';

type Settled = { outcome: string } | { code: string };

const settle = (p: Promise<{ outcome: string }>): Promise<Settled> =>
  p.then(
    (r) => ({ outcome: r.outcome }),
    (err: GenesysError) => ({ code: err.code }),
  );

function tally(results: Settled[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const k = 'outcome' in r ? r.outcome : r.code;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

const agents = (n: number) => Array.from({ length: n }, () => ({ purpose: 'agent', userId: randomUUID() }));

describe('lib/kick: the guards under concurrency (against the simulator)', () => {
  const ctx = useSimulatorClient();
  const kick = (o: KickOptions) => kickParticipant({ client: ctx.client, reader: ctx.reader, ledger: ctx.ledger }, o);

  beforeEach(async () => {
    await ctx.sim.control.setOptions({ lastPartyPolicy: 'end-conversation' });
  });

  /** Waits until the simulator shows `n` ended legs (count-based, not a guessed delay). */
  async function endedLegs(cid: string, n: number): Promise<{ state: string; purpose: string }[]> {
    for (;;) {
      const { participants } = await ctx.state(cid);
      if (participants.filter((p) => /disconnected|terminated/.test(p.state)).length >= n) return participants;
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function expectOneAgentAndCustomerLeft(cid: string, n: number): Promise<void> {
    const after = await endedLegs(cid, n - 1);
    const live = after.filter((p) => p.state === 'connected');
    assert.deepEqual(live.map((p) => p.purpose).sort(), ['agent', 'customer'], JSON.stringify(after));
    assert.equal((await ctx.state(cid)).endTime, undefined, 'the call goes on');
    assert.equal((await ctx.sim.control.counters()).patches, n - 1);
  }

  for (const n of [3, 10]) {
    it(`${n} concurrent kicks of every agent of a customer + ${n} agents call: ${n - 1} leave, one is refused`, async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer', name: 'Lawrenceburg IN' }, ...agents(n)]);
      const results = await Promise.all(ids.slice(1).map((pid) => settle(kick({ conversationId: cid, participantId: pid }))));
      assert.deepEqual(tally(results), { disconnected: n - 1, 'keep-call-alive': 1 });
      await expectOneAgentAndCustomerLeft(cid, n);
    });
  }

  it('3 back-to-back kicks (each after the previous result) of every agent: 2 leave, the third is refused', async () => {
    const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, ...agents(3)]);
    const results: Settled[] = [];
    for (const pid of ids.slice(1)) results.push(await settle(kick({ conversationId: cid, participantId: pid })));
    assert.deepEqual(results, [{ outcome: 'disconnected' }, { outcome: 'disconnected' }, { code: 'keep-call-alive' }]);
    await expectOneAgentAndCustomerLeft(cid, 3);
  });

  it('the same with selector kicks ({userId}) sent at once, and with confirm', async () => {
    const legs = agents(4);
    const { cid } = await ctx.seed([{ purpose: 'customer' }, ...legs]);
    const results = await Promise.all(legs.map((a) => settle(kick({ conversationId: cid, selector: { userId: a.userId }, confirm: true }))));
    assert.deepEqual(tally(results), { disconnected: 3, 'keep-call-alive': 1 });
    await expectOneAgentAndCustomerLeft(cid, 4);
  });

  it('a second kick of a leg whose disconnect was just accepted is already-disconnected, with no second PATCH', async () => {
    const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, ...agents(3)]);
    const [a, b] = await Promise.all([kick({ conversationId: cid, participantId: ids[1] }), kick({ conversationId: cid, participantId: ids[1] })]);
    assert.deepEqual([a.outcome, b.outcome].sort(), ['already-disconnected', 'disconnected']);
    assert.equal((await ctx.sim.control.counters()).patches, 1);
  });

  it('an unguarded kick (fast path) also counts for the guarded kicks that follow it', async () => {
    const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, ...agents(2)]);
    const results = await Promise.all([
      settle(kick({ conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false })),
      settle(kick({ conversationId: cid, participantId: ids[2] })),
    ]);
    assert.deepEqual(results, [{ outcome: 'disconnected' }, { code: 'keep-call-alive' }]);
  });

  it('a kick waiting for its turn leaves the line at once on abort; those behind it keep their order', async () => {
    const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, ...agents(4)]);
    const ac = new AbortController();
    const first = settle(kick({ conversationId: cid, participantId: ids[1] }));
    const second = settle(kick({ conversationId: cid, participantId: ids[2], signal: ac.signal }));
    const third = settle(kick({ conversationId: cid, participantId: ids[3] }));
    ac.abort();
    assert.deepEqual(await Promise.all([first, second, third]), [{ outcome: 'disconnected' }, { code: 'cancelled' }, { outcome: 'disconnected' }]);
  });
});

describe('lib/kick against a hostile local server', () => {
  let server: TestServer;
  let client: GenesysClient;
  let reader: ConversationReader;
  let ledger: KickLedger;
  const kick = (o: KickOptions) => kickParticipant({ client, reader, ledger }, o);

  /** Conversations the server answers: a customer and three agents; a 202'd leg NEVER shows as ended. */
  const calls = new Map<string, string[]>();
  let inFlightByConversation = new Map<string, number>();
  let maxInFlightOneConversation = 0;
  let pendingGets: (() => void)[] = [];
  let releaseAt = 0;
  let wrongId = false;

  const conversation = (cid: string) => ({
    id: wrongId ? randomUUID() : cid,
    startTime: '2026-12-01T10:00:00.000Z',
    participants: (calls.get(cid) ?? []).map((pid, i) => ({
      id: pid,
      purpose: i === 0 ? 'customer' : 'agent',
      calls: [{ id: randomUUID(), state: 'connected' }],
    })),
  });

  before(async () => {
    server = await startTestServer(
      withTokenGrant((req, res) => {
        const m = /^\/api\/v2\/conversations\/([^/]+)(?:\/participants\/([^/]+))?$/.exec(req.path);
        if (!m) return sendJson(res, 404, { code: 'not.found', message: 'not found' });
        const cid = m[1];
        const n = (inFlightByConversation.get(cid) ?? 0) + 1;
        inFlightByConversation.set(cid, n);
        maxInFlightOneConversation = Math.max(maxInFlightOneConversation, n);
        const answer = () => {
          inFlightByConversation.set(cid, (inFlightByConversation.get(cid) ?? 1) - 1);
          if (req.method === 'GET') sendJson(res, 200, conversation(cid));
          else sendJson(res, 202, undefined);
        };
        // A barrier: GETs are held until `releaseAt` of them wait at once (kicks that ran one after the other
        // would never get there, and the test would time out).
        if (req.method === 'GET' && releaseAt > 0) {
          pendingGets.push(answer);
          if (pendingGets.length >= releaseAt) {
            releaseAt = 0;
            for (const a of pendingGets.splice(0)) a();
          }
          return;
        }
        answer();
      }),
    );
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    client = new GenesysClient({
      region: 'custom',
      apiBaseUrl: server.origin,
      authBaseUrl: server.origin,
      clientId: 'id',
      clientSecret: 'secret-value',
    });
    reader = new ConversationReader(client);
    ledger = new KickLedger();
    server.requests.length = 0;
    inFlightByConversation = new Map();
    maxInFlightOneConversation = 0;
    pendingGets = [];
    releaseAt = 0;
    wrongId = false;
  });
  afterEach(async () => {
    await client.close();
  });

  const newCall = () => {
    const cid = randomUUID();
    calls.set(cid, [randomUUID(), randomUUID(), randomUUID(), randomUUID()]);
    return { cid, ids: calls.get(cid)! };
  };

  it('legs that still show connected after their 202 count as gone: 2 of 3 agents leave, concurrent or back to back', async () => {
    const one = newCall();
    const concurrent = await Promise.all(one.ids.slice(1).map((pid) => settle(kick({ conversationId: one.cid, participantId: pid }))));
    assert.deepEqual(tally(concurrent), { disconnected: 2, 'keep-call-alive': 1 });
    // Decisions on one conversation are one at a time: the server never saw two of its requests at once.
    assert.equal(maxInFlightOneConversation, 1);
    const two = newCall();
    const serial: Settled[] = [];
    for (const pid of two.ids.slice(1)) serial.push(await settle(kick({ conversationId: two.cid, participantId: pid })));
    assert.deepEqual(serial, [{ outcome: 'disconnected' }, { outcome: 'disconnected' }, { code: 'keep-call-alive' }]);
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    assert.equal(patches.length, 4);
  });

  it('kicks on 100 different conversations run concurrently (30 GETs wait at the server at once)', async () => {
    const convs = Array.from({ length: 100 }, newCall);
    // One answer first: until the client has one, it lets a single request out (the answer may say Genesys
    // allows less than the configured budget: RateLimiter firstAnswerFirst), and the barrier would never fill.
    const warm = newCall();
    await kick({ conversationId: warm.cid, participantId: warm.ids[1] });
    releaseAt = 30; // below the client's 32 sockets per origin
    const t0 = Date.now();
    const results = await Promise.all(convs.map((c) => settle(kick({ conversationId: c.cid, participantId: c.ids[1] }))));
    const wallMs = Date.now() - t0;
    assert.deepEqual(tally(results), { disconnected: 100 });
    console.log(`        100 kicks on 100 conversations: ${wallMs} ms wall`);
  });

  it('a GET that answers a different conversation leads to no PATCH', async () => {
    const { cid, ids } = newCall();
    wrongId = true;
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), (err: GenesysError) => {
      assert.equal(err.code, 'genesys-error');
      assert.match(err.message, /different conversation/);
      return true;
    });
    assert.equal(server.requests.filter((r) => r.method === 'PATCH').length, 0);
  });
});

describe('lib/kick: bulk kicks with confirm inside the rate limit (against the simulator)', () => {
  const ctx = useSimulatorClient();

  it('40 guarded kicks with confirm at 30 requests per 3 s window: 0 timeouts, 3 requests per confirmed kick', async () => {
    // The same shape as 600 kicks at 900/min with a 30 s confirm (bench/ runs that one): three requests per
    // kick, three times the window's budget, a confirm timeout of half the window. Without booking, the
    // confirm reads queue behind new kicks for the rest of the window and time out.
    const client = simClient(ctx.sim.url, {
      requestsPerMinute: 30,
      rateLimitWindowMs: 3_000,
    });
    try {
      const conference = { purpose: 'customer' };
      const seeded = (await ctx.sim.control.seed({
        conversations: Array.from({ length: 40 }, () => ({ participants: [conference, ...agents(3)] })),
      } as never)) as unknown as { id: string; participants: { id: string }[] }[];
      const kicks = { client, reader: new ConversationReader(client), ledger: new KickLedger() };
      const before = (await ctx.sim.control.counters()).apiRequests;
      const results = await Promise.all(
        seeded.map((c) =>
          settle(
            kickParticipant(kicks, {
              conversationId: c.id,
              participantId: c.participants[1].id,
              confirm: true,
              confirmTimeoutMs: 1_500,
            }),
          ),
        ),
      );
      assert.deepEqual(tally(results), { disconnected: 40 });
      const requests = (await ctx.sim.control.counters()).apiRequests - before;
      console.log(`        40 guarded kicks with confirm: ${requests} requests, ${(requests / 40).toFixed(2)} per confirmed kick`);
      assert.ok(requests / 40 <= 3, `${requests / 40} requests per kick`);
    } finally {
      await client.close();
    }
  });
});
