import * as assert from 'node:assert/strict';
import { awaitTerminal } from '../../lib/conversation/await-terminal';
import { GenesysError } from '../../lib/platform/errors';
import { kickParticipant } from '../../lib/conversation/kick';
import { useSimulatorClient } from '../support/sim-session';
import { CONFERENCE, USER_A, USER_D } from '../../testkit/fixtures';
import { until } from '../support/until';

const MISSING = 'a1b2c3d4-0000-4000-8000-0000000000ff';

describe('lib/conversation-reader (against the simulator)', () => {
  const ctx = useSimulatorClient();

  it('reads and normalises a 5-party conference (ringing leg, held leg, a user with a terminated and a live leg)', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    const { conversation, participants, correlationId } = await ctx.reader.read(cid);
    assert.equal(conversation.id, cid);
    assert.ok(correlationId, 'the correlation id of the GET');
    assert.deepEqual(
      participants.map((p) => p.id),
      ids,
    );
    const [customer, agent, held, ringing, oldLeg, newLeg] = participants;
    assert.equal(customer.purpose, 'customer');
    assert.equal(customer.state, 'connected');
    assert.equal(customer.mediaType, 'call');
    assert.equal(customer.address, 'tel:+15551234567');
    assert.ok(customer.communicationId);
    assert.equal(agent.userId, USER_A);
    assert.equal(held.held, true);
    assert.equal(held.live, true);
    assert.equal(ringing.state, 'alerting');
    assert.equal(ringing.live, true);
    assert.equal(oldLeg.live, false);
    assert.ok(['terminated', 'disconnected'].includes(oldLeg.state), oldLeg.state);
    assert.ok(oldLeg.endTime, 'a terminal leg has an endTime');
    assert.equal(newLeg.live, true);
    assert.equal(newLeg.userId, USER_D);
  });

  it('shares one GET between many awaits, a list and a kick reading the same conversation at the same moment', async () => {
    const { cid, ids } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.faults({ latencyMs: 150 }); // so that all of them are in flight together
    const before = (await ctx.sim.control.counters()).gets;
    const oldLeg = ids[4];
    const awaits = Array.from({ length: 20 }, () => awaitTerminal(ctx.reader, { conversationId: cid, participantId: oldLeg, timeoutMs: 5000 }));
    const list = ctx.reader.read(cid);
    const kick = kickParticipant(
      { client: ctx.client, reader: ctx.reader, ledger: ctx.ledger },
      { conversationId: cid, selector: { userId: USER_A }, dryRun: true },
    );
    const [results, listed, kicked] = await Promise.all([Promise.all(awaits), list, kick]);
    assert.ok(results.every((r) => r.polls === 1 && !r.timedOut));
    assert.equal(listed.participants.length, 6);
    assert.equal(kicked.outcome, 'dry-run');
    assert.equal((await ctx.sim.control.counters()).gets - before, 1, 'one GET for 22 readers');
    assert.deepEqual(ctx.reader.stats(), { reads: 1, sharedReads: 21 });
  });

  it('starts a new GET once the previous one has answered', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    await ctx.reader.read(cid);
    await ctx.reader.read(cid);
    assert.equal((await ctx.sim.control.counters()).gets, 2);
    assert.deepEqual(ctx.reader.stats(), { reads: 2, sharedReads: 0 });
  });

  it('a caller that aborts leaves at once; the others still get the answer', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.faults({ latencyMs: 300 });
    const ac = new AbortController();
    const leaving = ctx.reader.read(cid, { signal: ac.signal });
    let answered = false;
    const staying = ctx.reader.read(cid).finally(() => {
      answered = true;
    });
    ac.abort();
    await assert.rejects(leaving, (err: GenesysError) => err.code === 'cancelled');
    // "At once" by order, not by a stopwatch: it left before the shared GET (300 ms of latency) answered.
    assert.equal(answered, false, 'rejected before the GET answered');
    const read = await staying;
    assert.equal(read.conversation.id, cid);
  });

  it('when every caller aborts, the shared GET is abandoned and the next read starts afresh', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    await ctx.sim.control.faults({ latencyMs: 300 });
    const a = new AbortController();
    const b = new AbortController();
    const ra = ctx.reader.read(cid, { signal: a.signal });
    const rb = ctx.reader.read(cid, { signal: b.signal });
    a.abort();
    b.abort();
    await assert.rejects(ra, (err: GenesysError) => err.code === 'cancelled');
    await assert.rejects(rb, (err: GenesysError) => err.code === 'cancelled');
    await ctx.sim.control.faults({});
    const read = await ctx.reader.read(cid);
    assert.equal(read.conversation.id, cid);
    assert.equal(ctx.reader.stats().reads, 2, 'the abandoned GET is not joined');
  });

  it('a leave() after its GET answered aborts nothing, not even the next GET that reuses its controller', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    const first = { done: 0, failed: 0, readDone: () => first.done++, readFailed: () => first.failed++ };
    const ticket = ctx.reader.join(cid, {}, first);
    await until(() => first.done + first.failed > 0, 'the first GET to answer');
    assert.equal(first.done, 1);
    const next = ctx.reader.read(cid); // a new GET, in flight: it took the controller the first one left
    ctx.reader.leave(ticket, first); // late: the first GET is over
    const read = await next;
    assert.equal(read.conversation.id, cid);
    assert.equal(ctx.reader.stats().reads, 2);
  });

  it('an already aborted signal rejects without a request', async () => {
    const { cid } = await ctx.seed(CONFERENCE);
    await assert.rejects(ctx.reader.read(cid, { signal: AbortSignal.abort() }), (err: GenesysError) => err.code === 'cancelled');
    assert.equal((await ctx.sim.control.counters()).apiRequests, 0);
  });

  it('refuses a conversationId that is not a UUID without a request', async () => {
    await assert.rejects(ctx.reader.read('../../users/me'), (err: GenesysError) => err.code === 'invalid-input' && err.field === 'conversationId');
    assert.equal((await ctx.sim.control.counters()).apiRequests, 0);
  });

  it('maps 404 to target-not-found with the correlation id', async () => {
    await assert.rejects(ctx.reader.read(MISSING), (err: GenesysError) => {
      assert.equal(err.code, 'target-not-found');
      assert.equal(err.status, 404);
      assert.ok(err.correlationId, 'correlation id kept');
      assert.match(err.message, new RegExp(MISSING));
      return true;
    });
  });
});
