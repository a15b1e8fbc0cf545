// Chaos: 500 kicks (disconnect with confirm on, then await) over 500 four-party conferences, through
// Node-RED, against the simulator with faults on: 10% 429 (Retry-After 1-2 s), 5% 503, 2% connection
// resets, added latency, 409 on ringing legs (some targets ring and connect later) and every token expired
// in the middle of the run. Every msg must end exactly once (output or Catch), the right leg and only it
// must end in every conference, and nothing may tear a call down or leak a rejection.
import * as assert from 'node:assert/strict';
import { start } from '../../sim';
import { Collector, caughtError, helper, load, useNodeRed } from '../../testkit/harness';
import { fourParty, seedMany } from '../../testkit/fixtures';
import { assertNoTeardown } from '../../testkit/no-teardown';
import { startTokenTap, type TokenTap } from './token-tap';
import { assertNoSecretsIn, registerSecret } from './secrets-guard';

/** Largest number of entries of `times` (ms, any order) inside any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const KICKS = 500;
const LIMIT = 6000;

describe('reliability: chaos (500 kicks under faults, through Node-RED)', function () {
  this.timeout(180_000);
  let sim: Awaited<ReturnType<typeof start>>;
  let tap: TokenTap;
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };

  useNodeRed();
  before(async () => {
    sim = await start({ port: 0, rateLimitPerMinute: LIMIT, disconnectDelayMs: 200 });
    tap = await startTokenTap(sim.url);
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await tap.close();
    await sim.close();
  });

  it('every msg ends exactly once, only the right leg ends, no teardown, no rejection, no 429 beyond the injected ones', async () => {
    // Every 10th target (even index: kicked by participantId) rings first (connects 2.5-3.5 s later): a PATCH that reaches it early gets a
    // 409. (Later than the PATCH of a confirmed kick, which waits for its push subscription first, up to WATCH_READY_MS.)
    const conferences = Array.from({ length: KICKS }, (_, i) =>
      fourParty(i % 10 === 4 ? { state: 'alerting', connectAfterMs: 2500 + ((i * 37) % 1000) } : {}),
    );
    const seeded = await seedMany(sim.control, conferences);
    assert.equal(seeded.length, KICKS);

    await load(
      { apiBaseUrl: sim.url, authBaseUrl: tap.url },
      [
        { id: 'kick', type: 'genesys-disconnect-participant', confirm: true, confirmTimeout: 30, wires: [['await']] },
        // The fast path (participantId, both guards off: PATCH first, no read): a ringing leg answers 409.
        {
          id: 'kickFast',
          type: 'genesys-disconnect-participant',
          refuseCustomer: false,
          keepCallAlive: false,
          confirm: true,
          confirmTimeout: 30,
          wires: [['await']],
        },
        {
          id: 'await',
          type: 'genesys-await-terminal',
          participantId: 'payload.participantId',
          participantIdType: 'msg',
          timeout: 30,
          wires: [['out1'], ['out2']],
        },
      ],
      { config: { requestsPerMinute: LIMIT }, lean: true },
    );
    const collector = new Collector();

    await sim.control.faults({
      rate429: 0.1,
      retryAfterSeconds: [1, 2],
      rate5xx: { 503: 0.05 },
      resetRate: 0.02,
      latencyMs: [5, 40],
      conflictOnTransitional: true,
      seed: 20240611,
    });

    // Half the kicks name the leg by participantId, half by the agent's userId.
    const expected = seeded.map((conv: any, i: number) => {
      const target = conv.participants[1];
      return { conversationId: conv.id, targetId: target.id, userId: target.userId, byUser: i % 2 === 1 };
    });
    let expired = false;
    collector.onOutcome = () => {
      if (!expired && collector.outcomes.length === KICKS / 2) {
        expired = true;
        void sim.control.expireTokens();
      }
    };
    const kick = helper.getNode('kick');
    const kickFast = helper.getNode('kickFast');
    const startedAt = Date.now();
    expected.forEach((e, idx) => {
      (idx % 4 === 0 ? kickFast : kick).receive(
        e.byUser
          ? { idx, conversationId: e.conversationId, target: { userId: e.userId } }
          : { idx, conversationId: e.conversationId, participantId: e.targetId },
      );
    });
    await collector.waitFor(KICKS, 150_000);
    // Anything late (a duplicate) would come now.
    await new Promise((r) => setTimeout(r, 1_500));
    const elapsedMs = Date.now() - startedAt;
    collector.close();
    await sim.control.faults({});

    // 1. Exactly one outcome per msg, no duplicates.
    const outcomes = collector.outcomes;
    assert.equal(outcomes.length, KICKS, `outcomes: ${outcomes.length}`);
    const seen = new Map<number, (typeof outcomes)[number]>();
    for (const o of outcomes) {
      assert.ok(!seen.has(o.msg.idx), `msg ${o.msg.idx} came out twice`);
      seen.set(o.msg.idx, o);
    }
    assert.equal(seen.size, KICKS);

    // 2. Ended legs: the await's output names the kicked leg, terminal. Errors: only transient ones survive
    //    the retry budget, and there are few of them.
    const errors = outcomes.filter((o) => o.port === 'error');
    const timedOut = outcomes.filter((o) => o.port === 'out2');
    assert.equal(timedOut.length, 0, 'no await timed out');
    for (const o of errors) {
      const e = caughtError(o.msg);
      assert.ok(e, 'a caught msg carries our error');
      assert.ok(['rate-limited', 'genesys-error', 'network-error', 'timeout'].includes(e.code), `unexpected error ${e.code}: ${e.message}`);
    }
    assert.ok(
      errors.length <= KICKS * 0.01,
      `${errors.length} kicks failed: ${errors
        .slice(0, 3)
        .map((o) => caughtError(o.msg)?.message)
        .join('; ')}`,
    );
    for (const o of outcomes.filter((x) => x.port === 'out1')) {
      const e = expected[o.msg.idx];
      assert.equal(o.msg.payload.participantId, e.targetId);
      assert.equal(o.msg.payload.conversationId, e.conversationId);
      assert.ok(['disconnected', 'terminated'].includes(o.msg.payload.state), o.msg.payload.state);
    }

    // 3. The simulator's state: in every conference the target (if its kick succeeded) ended, nobody else did.
    const failed = new Set(errors.map((o) => o.msg.idx as number));
    const states = new Map((await sim.control.listConversations()).map((c: any) => [c.id, c]));
    for (const [idx, e] of expected.entries()) {
      const conv: any = states.get(e.conversationId);
      for (const p of conv.participants) {
        if (p.id === e.targetId) {
          if (!failed.has(idx)) assert.ok(['disconnected', 'terminated'].includes(p.state), `target of conference ${idx} is ${p.state}`);
        } else {
          assert.equal(p.state, 'connected', `conference ${idx}: ${p.name} is ${p.state}`);
          assert.equal(p.disconnectPending, false);
        }
      }
    }

    // 4. No teardown endpoint, no unhandled rejection.
    await assertNoTeardown(sim.control);
    const counters = await sim.control.counters();
    assert.equal(unhandled, 0, 'unhandled rejections');

    // 5. Rate: the simulator's own limit never tripped, so every 429 was an injected one. Requests that
    //    reached its limiter are under LIMIT in any 60 s window (the log is one entry per API request).
    const log = await sim.control.requests();
    const apiTimes = log.filter((r) => r.path.startsWith('/api/v2/')).map((r) => Date.parse(r.time));
    assert.ok(maxInWindow(apiTimes, 60_000) <= LIMIT, 'some 60 s window exceeded the limit');
    const injected429 = log.filter((r) => r.status === 429).length;
    const conflicts = log.filter((r) => r.status === 409).length;
    assert.ok(conflicts > 0, 'some PATCH met a ringing leg (409)');
    assert.equal(counters.rateLimited, injected429);
    assert.ok(injected429 > 0 && counters.patches >= KICKS - errors.length, 'the faults were really on');
    assert.ok(elapsedMs < 120_000, `took ${elapsedMs} ms`);

    // 6. The tokens (two at least: one before, one after the expiry) and the secret appear in no msg.
    assert.ok(tap.tokens.length >= 2, `tokens issued: ${tap.tokens.length}`);
    for (const t of tap.tokens) registerSecret(t);
    assertNoSecretsIn(
      outcomes.map((o) => o.msg),
      'chaos msgs',
    );
    console.log(
      `      chaos: ${KICKS} kicks in ${(elapsedMs / 1000).toFixed(1)} s, ${errors.length} errors, ` +
        `${counters.apiRequests} API requests, ${injected429} injected 429s, ${conflicts} 409s, ${tap.tokens.length} token grants`,
    );
  });
});
