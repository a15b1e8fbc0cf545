import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/platform/errors';
import { kickParticipant, type KickOptions, type KickPhase } from '../../lib/conversation/kick';
import { ACCEPTED_GONE_MS, KickLedger } from '../../lib/conversation/kick-ledger';
import { until } from '../support/until';
import { useSimulatorClient } from '../support/sim-session';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { simClient } from '../../testkit/sim-client';
import { CONFERENCE, NOBODY, USER_A, USER_B, USER_C, USER_D } from '../../testkit/fixtures';

interface Logged {
  method: string;
  path: string;
  status: number;
  body?: unknown;
}

const WRAPUP = 'f1000000-0000-4000-8000-000000000001';

describe('lib/kick (against the simulator)', () => {
  const ctx = useSimulatorClient();

  const kick = (o: KickOptions) => kickParticipant({ client: ctx.client, reader: ctx.reader, ledger: ctx.ledger }, o);
  const log = async () => (await ctx.sim.control.requests()) as unknown as Logged[];
  const apiLog = async () => (await log()).filter((r) => r.path.startsWith('/api/'));
  const patches = async () => (await ctx.sim.control.counters()).patches;
  const codeIs = (code: string) => (err: unknown) => {
    assert.ok(err instanceof GenesysError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  };
  /** After a guard refused (nothing sent), the same kick with the guard off goes through: one PATCH. */
  const expectGoesThrough = async (o: KickOptions) => {
    assert.equal(await patches(), 0);
    const r = await kick(o);
    assert.equal(r.outcome, 'disconnected');
    assert.equal(await patches(), 1);
  };

  it('kicks one participant selected by userId with exactly {"state":"disconnected"}; the others stay connected', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const phases: KickPhase[] = [];
    const r = await kick({ conversationId: cid, selector: { userId: USER_A }, onProgress: (p) => phases.push(p) });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(r.participantId, ids[1]);
    assert.equal(r.conversationId, cid);
    assert.equal(r.attempts, 1);
    assert.ok(r.correlationId);
    assert.ok(r.durationMs >= 0 && r.durationMs < 5000);
    // Genesys gives agent legs no name (docs/platform.md section 3): the summary has none either.
    assert.deepEqual(r.participant, { purpose: 'agent', userId: USER_A, state: 'connected' });
    assert.deepEqual(phases, ['resolving', 'disconnecting']);
    const sent = (await apiLog()).filter((x) => x.method === 'PATCH');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].path, `/api/v2/conversations/${cid}/participants/${ids[1]}`);
    assert.deepEqual(sent[0].body, { state: 'disconnected' });
    assert.equal(sent[0].status, 202);
    // The simulator ends the leg 200 ms after the 202: wait for that, not for a guessed delay.
    await until(async () => (await ctx.state(cid)).participants[1].state !== 'connected', 'the kicked leg to end');
    const after = await ctx.state(cid);
    assert.match(after.participants[1].state, /^(disconnected|terminated)$/);
    assert.equal(after.participants[0].state, 'connected');
    assert.equal(after.participants[2].state, 'connected');
    assert.equal(after.participants[5].state, 'connected');
    assert.equal(after.endTime, undefined, 'the conversation goes on');
  });

  it('selects by purpose in any case and with spaces ({purpose: " Agent"}), and by purpose + name', async () => {
    const { cid, ids } = await ctx.seed([...CONFERENCE, { purpose: 'external', name: 'Partner Line' }]);
    const r = await kick({ conversationId: cid, selector: { purpose: ' Agent' } });
    assert.equal(r.participantId, ids[1]);
    assert.equal(r.outcome, 'disconnected');
    const named = await kick({ conversationId: cid, selector: { purpose: 'EXTERNAL', name: 'partner line' }, refuseCustomer: false });
    assert.equal(named.participantId, ids[6]);
  });

  it('refuse-customer holds for a purpose the server spells " Customer" or "EXTERNAL"', async () => {
    const { cid, ids } = await ctx.seed([
      { purpose: ' Customer', name: 'Lawrenceburg IN' },
      { purpose: 'EXTERNAL', name: 'Partner Line' },
      { purpose: 'agent', userId: USER_A },
      { purpose: 'agent', userId: USER_B },
    ]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[0] }), codeIs('refuse-customer'));
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), codeIs('refuse-customer'));
    assert.equal(await patches(), 0);
  });

  it('chooses the live leg of a user who has a terminated and a live leg', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const r = await kick({ conversationId: cid, selector: { userId: USER_D } });
    assert.equal(r.participantId, ids[5]);
    assert.equal((await apiLog()).filter((x) => x.method === 'PATCH')[0].path, `/api/v2/conversations/${cid}/participants/${ids[5]}`);
  });

  it('refuses two live matches with ambiguous-target listing both, and sends nothing', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await assert.rejects(kick({ conversationId: cid, selector: { purpose: 'user' } }), (err: GenesysError) => {
      codeIs('ambiguous-target')(err);
      const listed = (err.candidates as { id: string }[]).map((c) => c.id);
      assert.deepEqual(listed, [ids[2], ids[3], ids[5]]);
      return true;
    });
    assert.equal(await patches(), 0);
  });

  it('refuse-customer: refuses the customer (and external) leg, nothing sent; with the guard off it goes through', async () => {
    const { cid, ids } = await ctx.seed([...CONFERENCE, { purpose: 'external', name: 'Partner' }]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[0] }), codeIs('refuse-customer'));
    await assert.rejects(kick({ conversationId: cid, selector: { purpose: 'external' } }), codeIs('refuse-customer'));
    await expectGoesThrough({ conversationId: cid, participantId: ids[0], refuseCustomer: false });
  });

  it('keep-call-alive: refuses when fewer than two connected parties would remain; with the guard off it goes through', async () => {
    const { cid, ids } = await ctx.seed([
      { purpose: 'customer', name: 'Pat Caller' },
      { purpose: 'agent', name: 'Ann Agent', userId: USER_A },
      { purpose: 'user', name: 'Rita Ring', userId: USER_C, state: 'alerting' }, // ringing: does not count as staying
      { purpose: 'user', name: 'Gone', state: 'disconnected' },
    ]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), (err: GenesysError) => {
      codeIs('keep-call-alive')(err);
      assert.match(err.message, /1 connected participant/);
      return true;
    });
    await expectGoesThrough({ conversationId: cid, participantId: ids[1], keepCallAlive: false });
  });

  it('a ringing target is disconnected at once (the same PATCH cancels the invitation), with no wait', async () => {
    const { cid, ids } = await ctx.seed([...CONFERENCE.slice(0, 3), { purpose: 'user', userId: USER_C, state: 'alerting', connectAfterMs: 60_000 }]);
    const phases: KickPhase[] = [];
    const r = await kick({ conversationId: cid, selector: { userId: USER_C }, onProgress: (p) => phases.push(p) });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(r.participantId, ids[3]);
    assert.equal(r.participant?.state, 'alerting');
    assert.deepEqual(phases, ['resolving', 'disconnecting']);
    assert.deepEqual(
      (await apiLog()).map((x) => `${x.method} ${x.status}`),
      ['GET 200', 'PATCH 202'],
    );
  });

  it('a ringing leg never keeps the call alive: customer + agent + ringing leg refuses to kick the agent', async () => {
    const { cid, ids } = await ctx.seed([
      CONFERENCE[0],
      { purpose: 'agent', userId: USER_A },
      { purpose: 'user', userId: USER_C, state: 'alerting' },
    ]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), codeIs('keep-call-alive'));
    // Cancelling the invitation itself is fine: two connected parties stay.
    const r = await kick({ conversationId: cid, participantId: ids[2] });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(await patches(), 1);
  });

  it('a 409 leads to a re-read and a new decision, not a blind repeat', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.failNext([{ method: 'PATCH', status: 409, count: 1 }]);
    const r = await kick({ conversationId: cid, participantId: ids[1] });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(r.attempts, 2);
    const seq = (await apiLog()).map((x) => `${x.method} ${x.status}`);
    assert.deepEqual(seq, ['GET 200', 'PATCH 409', 'GET 200', 'PATCH 202']);
  });

  it('a 409 on the fast path (guards off) also re-reads before deciding again', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.failNext([{ method: 'PATCH', status: 409, count: 1 }]);
    const r = await kick({ conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false });
    assert.equal(r.outcome, 'disconnected');
    assert.deepEqual(
      (await apiLog()).map((x) => `${x.method} ${x.status}`),
      ['PATCH 409', 'GET 200', 'PATCH 202'],
    );
  });

  it('a leg that the re-read after a 409 shows ended gives already-disconnected without another PATCH', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.failNext([{ method: 'PATCH', status: 409, count: 1 }]);
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[1], state: 'disconnected', afterMs: 0 });
    const r = await kick({ conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false });
    assert.equal(r.outcome, 'already-disconnected');
    assert.equal(await patches(), 1);
  });

  it('gives up after repeated 409s with the Genesys error', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.failNext([{ method: 'PATCH', status: 409, count: 10 }]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), (err: GenesysError) => {
      codeIs('genesys-error')(err);
      assert.equal(err.status, 409);
      return true;
    });
    assert.equal((await apiLog()).filter((x) => x.method === 'PATCH').length, 4, 'the first decision + 3 re-decisions');
  });

  it('an already-ended leg gives already-disconnected with no PATCH', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const r = await kick({ conversationId: cid, participantId: ids[4] });
    assert.equal(r.outcome, 'already-disconnected');
    assert.equal(r.participant?.state !== undefined, true);
    assert.equal(await patches(), 0);
  });

  it('an ended leg answered 400 participant.no.active.conversations (the generic path) is already-disconnected', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    // Guards off: no read first, so the PATCH reaches the ended leg and the simulator answers as Genesys does.
    const r = await kick({ conversationId: cid, participantId: ids[4], refuseCustomer: false, keepCallAlive: false });
    assert.equal(r.outcome, 'already-disconnected');
    assert.equal(r.attempts, 1);
    assert.ok(r.correlationId);
    const seq = (await apiLog()).map((x) => `${x.method} ${x.status}`);
    assert.deepEqual(seq, ['PATCH 400', 'GET 200'], 'the 400 is checked by a fresh read');
    assert.equal((await apiLog())[0].body !== undefined, true);
  });

  it('any 400 conversation.error.* is checked by a re-read: a leg still live gets the error with Genesys code', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    for (const code of ['conversation.error.call.disconnected', 'conversation.error.participant.no.active.conversations']) {
      await ctx.sim.control.failNext([{ method: 'PATCH', status: 400, code }]);
      await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), (err: GenesysError) => {
        codeIs('genesys-error')(err);
        assert.equal(err.genesysCode, code);
        assert.equal(err.status, 400);
        return true;
      });
    }
    assert.equal((await ctx.state(cid)).participants[1].state, 'connected');
  });

  it('404 on the PATCH is target-not-found with the correlation id; other 400s propagate', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.failNext([{ method: 'PATCH', status: 404, code: 'not.found' }]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false }), (err: GenesysError) => {
      codeIs('target-not-found')(err);
      assert.ok(err.correlationId);
      return true;
    });
    await ctx.sim.control.failNext([{ method: 'PATCH', status: 400, code: 'conversation.error.wrapup.code.required' }]);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1] }), (err: GenesysError) => {
      codeIs('genesys-error')(err);
      assert.equal(err.genesysCode, 'conversation.error.wrapup.code.required');
      return true;
    });
  });

  it('an unknown participant or conversation is target-not-found, nothing sent', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    await assert.rejects(kick({ conversationId: cid, participantId: NOBODY }), codeIs('target-not-found'));
    await assert.rejects(kick({ conversationId: NOBODY, selector: { userId: USER_A } }), codeIs('target-not-found'));
    assert.equal(await patches(), 0);
  });

  it('validates input before any request (not even a token)', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    const bad: [KickOptions, string][] = [
      [{ conversationId: '../../users/me', participantId: NOBODY }, 'conversationId'],
      [{ conversationId: cid, participantId: 'nope' }, 'participantId'],
      [{ conversationId: cid }, 'participantId'],
      [{ conversationId: cid, participantId: NOBODY, selector: { userId: USER_A } }, 'target'],
      [{ conversationId: cid, selector: { purpose: 'boss' } }, 'target.purpose'],
      [{ conversationId: cid, participantId: NOBODY, wrapup: { code: 'x' } }, 'wrapupCode'],
      [{ conversationId: cid, participantId: NOBODY, confirmTimeoutMs: -1 }, 'confirmTimeoutMs'],
      [{ conversationId: cid, participantId: NOBODY, refuseCustomer: 'no' as never }, 'refuseCustomer'],
      [{ conversationId: cid, participantId: NOBODY, keepCallAlive: 0 as never }, 'keepCallAlive'],
      [{ conversationId: cid, participantId: NOBODY, dryRun: 'yes' as never }, 'dryRun'],
      [{ conversationId: cid, participantId: NOBODY, dryRun: '1' as never }, 'dryRun'],
      [{ conversationId: cid, participantId: NOBODY, confirm: null as never }, 'confirm'],
    ];
    for (const [options, field] of bad) {
      await assert.rejects(kick(options), (err: GenesysError) => {
        codeIs('invalid-input')(err);
        assert.equal(err.field, field);
        return true;
      });
    }
    const c = await ctx.sim.control.counters();
    assert.equal(c.apiRequests, 0);
    assert.equal(c.tokenGrants, 0);
  });

  it('dry run: resolves and guards against live data, returns the request it would send, sends nothing', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const r = await kick({ conversationId: cid, selector: { userId: USER_B }, dryRun: true, wrapup: { code: WRAPUP, notes: 'n' } });
    assert.equal(r.outcome, 'dry-run');
    assert.equal(r.participantId, ids[2]);
    assert.equal(r.attempts, 0);
    assert.deepEqual(r.request, {
      method: 'PATCH',
      path: `/api/v2/conversations/${cid}/participants/${ids[2]}`,
      body: { state: 'disconnected', wrapup: { code: WRAPUP, notes: 'n' } },
    });
    await assert.rejects(kick({ conversationId: cid, participantId: ids[0], dryRun: true }), codeIs('refuse-customer'));
    assert.equal(await patches(), 0);
  });

  it('sends the wrap-up code with the disconnect', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await kick({ conversationId: cid, participantId: ids[1], wrapup: { code: WRAPUP } });
    const sent = (await apiLog()).filter((x) => x.method === 'PATCH');
    assert.deepEqual(sent[0].body, { state: 'disconnected', wrapup: { code: WRAPUP } });
  });

  it('fast path: an id with both guards off sends the PATCH with no read first', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const r = await kick({ conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(r.participant, undefined);
    assert.deepEqual(
      (await apiLog()).map((x) => x.method),
      ['PATCH'],
    );
  });

  it('confirm: waits until the leg has ended before resolving', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const phases: KickPhase[] = [];
    const r = await kick({ conversationId: cid, participantId: ids[1], confirm: true, onProgress: (p) => phases.push(p) });
    assert.equal(r.outcome, 'disconnected');
    assert.ok(r.confirmed);
    assert.match(r.confirmed.state, /^(disconnected|terminated)$/);
    assert.ok(r.confirmed.endedAt);
    // The first confirm read waits CONFIRM_FIRST_READ_MS (500) after the 202; the simulator ends the leg 200 ms
    // after it (a timer set first, so it fires first): one read confirms.
    assert.equal(r.confirmed.polls, 1);
    assert.deepEqual(
      (await apiLog()).map((x) => x.method),
      ['GET', 'PATCH', 'GET'],
      '3 requests for a guarded kick with confirm',
    );
    assert.deepEqual(phases, ['resolving', 'disconnecting', 'confirming']);
    assert.match((await ctx.state(cid)).participants[1].state, /^(disconnected|terminated)$/);
  });

  it('confirm: a leg that does not end within confirmTimeoutMs is a timeout error', async () => {
    await ctx.sim.control.setOptions({ disconnectDelayMs: 60_000 });
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await assert.rejects(kick({ conversationId: cid, participantId: ids[1], confirm: true, confirmTimeoutMs: 900 }), codeIs('timeout'));
    await ctx.sim.control.setOptions({ disconnectDelayMs: 200 });
  });

  it('reports a rate-limit wait as the phase "waiting" with its length', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.failNext([{ method: 'GET', status: 429, code: 'too.many.requests.retry.after', retryAfter: 1 }]);
    const seen: { phase: KickPhase; waitMs?: number }[] = [];
    const r = await kick({ conversationId: cid, selector: { userId: USER_A }, onProgress: (phase, d) => seen.push({ phase, waitMs: d?.waitMs }) });
    assert.equal(r.outcome, 'disconnected');
    const waiting = seen.find((x) => x.phase === 'waiting');
    assert.ok(waiting && waiting.waitMs !== undefined && waiting.waitMs >= 500, JSON.stringify(seen));
  });

  it('a phase shows once its request leaves, never over a wait for the rate limit', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    // One request per 400 ms window, spent before each kick: every kick's request waits for the next window.
    const client = simClient(ctx.sim.url, { requestsPerMinute: 1, rateLimitWindowMs: 400 });
    const reader = new ConversationReader(client);
    const spend = () => client.request({ method: 'GET', path: `/api/v2/conversations/${cid}` });
    try {
      const seen: KickPhase[] = [];
      const onProgress = (p: KickPhase) => seen.push(p);
      await spend();
      const fast = await kickParticipant(
        { client, reader, ledger: new KickLedger() },
        { conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false, onProgress },
      );
      assert.equal(fast.outcome, 'disconnected');
      assert.deepEqual(seen, ['waiting', 'disconnecting'], 'the fast path: disconnecting only once the PATCH left');
      seen.length = 0;
      await spend();
      const dry = await kickParticipant(
        { client, reader, ledger: new KickLedger() },
        { conversationId: cid, participantId: ids[2], dryRun: true, onProgress },
      );
      assert.equal(dry.outcome, 'dry-run');
      assert.deepEqual(seen, ['waiting'], 'a read that waited: resolving is not shown over the wait');
    } finally {
      await client.close();
    }
  });

  it('an abort while the PATCH is on the wire says the request was sent (msg.error.sent)', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.faults({ latencyMs: 60_000 });
    const ac = new AbortController();
    const p = kick({ conversationId: cid, participantId: ids[1], refuseCustomer: false, keepCallAlive: false, signal: ac.signal });
    // Count-based: abort once the simulator has the PATCH (not after a guessed delay).
    while ((await ctx.sim.control.counters()).patches === 0) await new Promise((res) => setTimeout(res, 10));
    ac.abort();
    await assert.rejects(p, (err: GenesysError) => {
      codeIs('cancelled')(err);
      assert.equal(err.sent, true);
      assert.equal(err.toMsgError().sent, true);
      assert.match(err.message, /was sent/);
      return true;
    });
    await ctx.sim.control.faults({});
  });

  it('an abort while confirming says Genesys had accepted the disconnect; an abort before any PATCH does not', async () => {
    await ctx.sim.control.setOptions({ disconnectDelayMs: 60_000 });
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const ac = new AbortController();
    const phases: KickPhase[] = [];
    const p = kick({
      conversationId: cid,
      participantId: ids[1],
      confirm: true,
      signal: ac.signal,
      onProgress: (ph) => {
        phases.push(ph);
        if (ph === 'confirming') ac.abort();
      },
    });
    await assert.rejects(p, (err: GenesysError) => {
      codeIs('cancelled')(err);
      assert.equal(err.sent, true);
      assert.match(err.message, /accepted/);
      return true;
    });
    const early = new AbortController();
    early.abort();
    await assert.rejects(kick({ conversationId: cid, participantId: ids[2], signal: early.signal }), (err: GenesysError) => {
      codeIs('cancelled')(err);
      assert.equal(err.sent, undefined);
      return true;
    });
    await ctx.sim.control.setOptions({ disconnectDelayMs: 200 });
  });
});

describe('lib/kick-ledger memory', () => {
  it('accepted legs of expired kicks are swept, at a cost spread over the kicks: held entries stay within twice the live ones', () => {
    let t = 0;
    const ledger = new KickLedger(() => t);
    const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    for (let i = 0; i < 5_000; i++) ledger.markAccepted(id(i), id(i));
    assert.equal(ledger.size, 5_000, 'nothing has expired: all kept');
    t += ACCEPTED_GONE_MS + 1;
    let most = 0;
    for (let i = 5_000; i < 20_000; i++) {
      ledger.markAccepted(id(i), id(i));
      most = Math.max(most, ledger.size);
    }
    // 15,000 live after the first 5,000 expired: the expired ones go at a sweep, and a sweep runs only when
    // the ledger has doubled since the last one.
    assert.equal(ledger.size, 15_000, 'the 5,000 expired ones were swept');
    assert.ok(most <= 2 * 15_000, `${most} held at most`);
  });
});
