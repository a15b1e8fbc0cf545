import * as assert from 'node:assert/strict';
import { awaitTerminal, nextPollDelay, POLL_SCHEDULE } from '../../lib/await-terminal';
import { GenesysError } from '../../lib/errors';
import { NOBODY, useSimulatorClient } from '../support/sim-session';

describe('lib/await-terminal', () => {
  describe('poll schedule', () => {
    it('polls fast while the wait is young, then backs off to the cap', () => {
      assert.equal(nextPollDelay(undefined, 0), POLL_SCHEDULE.fastMs);
      assert.equal(nextPollDelay(POLL_SCHEDULE.fastMs, 1000), POLL_SCHEDULE.fastMs);
      let d: number = POLL_SCHEDULE.fastMs;
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) seen.push((d = nextPollDelay(d, 3000 + i * 1000)));
      assert.ok(seen[0] > POLL_SCHEDULE.fastMs);
      assert.ok(seen.every((x, i) => i === 0 || x >= seen[i - 1]), 'never shrinks');
      assert.equal(seen.at(-1), POLL_SCHEDULE.maxMs);
      assert.ok(POLL_SCHEDULE.maxMs <= 5000);
    });
  });

  describe('against the simulator', () => {
    const ctx = useSimulatorClient();

    it('detects a leg that ends within one poll interval of its end', async () => {
      const { cid, ids } = await ctx.seed([
        { purpose: 'customer' },
        { purpose: 'agent', endAfterMs: 1200 },
        { purpose: 'user' },
      ]);
      const r = await awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 10_000 });
      const detectedAt = Date.now();
      assert.equal(r.timedOut, false);
      assert.equal(r.state, 'disconnected');
      assert.equal(r.disconnectType, 'endpoint');
      assert.equal(r.participantId, ids[1]);
      const endedAt = Date.parse((await ctx.state(cid)).participants[1].endTime as string);
      assert.ok(r.endedAt);
      const latency = detectedAt - endedAt;
      assert.ok(latency >= 0 && latency <= POLL_SCHEDULE.fastMs + 150, `detected ${latency} ms after the end`);
      assert.ok(r.polls <= 4, `polls ${r.polls}`);
      assert.ok(r.waitedMs >= 1100);
    });

    it('answers after one poll for a leg that has already ended', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent', state: 'disconnected' }]);
      const r = await awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 5000 });
      assert.equal(r.polls, 1);
      assert.equal(r.timedOut, false);
    });

    it('without participantId, waits for the whole conversation to end', async () => {
      const { cid } = await ctx.seed([{ purpose: 'customer', endAfterMs: 300 }, { purpose: 'agent', endAfterMs: 900 }]);
      const progress: (string | undefined)[] = [];
      const r = await awaitTerminal(ctx.reader, { conversationId: cid, timeoutMs: 10_000, onProgress: (i) => progress.push(i.state) });
      assert.equal(r.timedOut, false);
      assert.equal(r.state, 'disconnected');
      assert.equal(r.participantId, undefined);
      assert.equal(r.endedAt, (await ctx.state(cid)).endTime);
      assert.ok(progress.length >= 1 && progress.every((s) => s === 'connected'));
    });

    it('times out with timedOut: true and the last state seen', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent', held: true }]);
      const t0 = Date.now();
      const r = await awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 1500 });
      const took = Date.now() - t0;
      assert.equal(r.timedOut, true);
      assert.equal(r.state, 'connected');
      assert.equal(r.endedAt, undefined);
      assert.ok(took >= 1500 && took < 2200, `took ${took} ms`);
      assert.ok(r.polls >= 2 && r.polls <= 5, `polls ${r.polls}`);
    });

    it('an abort rejects cancelled at once and stops polling', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
      const ac = new AbortController();
      const p = awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000, signal: ac.signal });
      await new Promise((res) => setTimeout(res, 300));
      const t0 = Date.now();
      ac.abort();
      await assert.rejects(p, (err: GenesysError) => err.code === 'cancelled');
      assert.ok(Date.now() - t0 < 50, 'at once');
      const gets = (await ctx.sim.control.counters()).gets;
      await new Promise((res) => setTimeout(res, POLL_SCHEDULE.fastMs + 200));
      assert.equal((await ctx.sim.control.counters()).gets, gets, 'no poll after the abort');
    });

    it('an abort during a slow read cancels at once too', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
      await ctx.sim.control.faults({ latencyMs: 1000 });
      const ac = new AbortController();
      const p = awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000, signal: ac.signal });
      await new Promise((res) => setTimeout(res, 100));
      const t0 = Date.now();
      ac.abort();
      await assert.rejects(p, (err: GenesysError) => err.code === 'cancelled');
      assert.ok(Date.now() - t0 < 50);
    });

    it('an unknown participant or conversation is target-not-found', async () => {
      const { cid } = await ctx.seed([{ purpose: 'customer' }]);
      await assert.rejects(awaitTerminal(ctx.reader, { conversationId: cid, participantId: NOBODY, timeoutMs: 5000 }), (err: GenesysError) => err.code === 'target-not-found');
      await assert.rejects(awaitTerminal(ctx.reader, { conversationId: NOBODY, timeoutMs: 5000 }), (err: GenesysError) => err.code === 'target-not-found');
    });

    it('refuses bad input without a request', async () => {
      await assert.rejects(awaitTerminal(ctx.reader, { conversationId: 'x', timeoutMs: 5000 }), (err: GenesysError) => err.code === 'invalid-input' && err.field === 'conversationId');
      await assert.rejects(awaitTerminal(ctx.reader, { conversationId: NOBODY, participantId: '1; drop', timeoutMs: 5000 }), (err: GenesysError) => err.field === 'participantId');
      await assert.rejects(awaitTerminal(ctx.reader, { conversationId: NOBODY, timeoutMs: 0 }), (err: GenesysError) => err.field === 'timeoutMs');
      assert.equal((await ctx.sim.control.counters()).apiRequests, 0);
    });

    it('2,000 concurrent awaits on one conversation share their GETs and all stop at once on abort', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'user' }]);
      // One controller per wait, as the nodes do (one per msg), all aborted together (a node closing).
      const controllers = Array.from({ length: 2000 }, () => new AbortController());
      const waits = controllers.map((ac, i) =>
        awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[i % 3], timeoutMs: 60_000, signal: ac.signal }).then(
          () => 'resolved',
          (err: GenesysError) => err.code,
        ),
      );
      await new Promise((res) => setTimeout(res, POLL_SCHEDULE.fastMs * 2 + 200));
      const t0 = Date.now();
      for (const ac of controllers) ac.abort();
      const outcomes = await Promise.all(waits);
      assert.ok(Date.now() - t0 < 500, `all settled in ${Date.now() - t0} ms`);
      assert.deepEqual([...new Set(outcomes)], ['cancelled']);
      // ~3 polls each: 6,000 reads unshared. Polls due in the same round share a GET (a round may split in
      // two or three when its timers fire across event-loop turns under load).
      const gets = (await ctx.sim.control.counters()).gets;
      assert.ok(gets <= 20, `${gets} GETs for 2,000 awaits over ~3 polls`);
      assert.ok(ctx.reader.stats().sharedReads >= 5000, JSON.stringify(ctx.reader.stats()));
    });
  });
});
