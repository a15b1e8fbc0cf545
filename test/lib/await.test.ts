import * as assert from 'node:assert/strict';
import { awaitTerminal, nextPollDelay, POLL_SCHEDULE } from '../../lib/conversation/await-terminal';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { GenesysError } from '../../lib/platform/errors';
import { useSimulatorClient } from '../support/sim-session';
import { NOBODY } from '../../testkit/fixtures';
import { settledNow, until } from '../support/until';
import { simClient } from '../../testkit/sim-client';

describe('lib/await-terminal', () => {
  describe('poll schedule', () => {
    it('polls fast while the wait is young, then backs off to the cap', () => {
      assert.equal(nextPollDelay(undefined, 0), POLL_SCHEDULE.fastMs);
      assert.equal(nextPollDelay(POLL_SCHEDULE.fastMs, 1000), POLL_SCHEDULE.fastMs);
      let d: number = POLL_SCHEDULE.fastMs;
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) seen.push((d = nextPollDelay(d, 3000 + i * 1000)));
      assert.ok(seen[0] > POLL_SCHEDULE.fastMs);
      assert.ok(
        seen.every((x, i) => i === 0 || x >= seen[i - 1]),
        'never shrinks',
      );
      assert.equal(seen.at(-1), POLL_SCHEDULE.maxMs);
      assert.ok(POLL_SCHEDULE.maxMs <= 5000);
    });
  });

  describe('against the simulator', () => {
    const ctx = useSimulatorClient();

    /** A client that does not retry, so that a failed request reaches the wait. */
    async function withNoRetries<T>(fn: (reader: ConversationReader) => Promise<T>): Promise<T> {
      const client = simClient(ctx.sim.url, {
        retry: { maxAttempts: 1 },
      });
      try {
        return await fn(new ConversationReader(client));
      } finally {
        await client.close();
      }
    }

    it('detects a leg that ends within one poll interval of its end', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent', endAfterMs: 1200 }, { purpose: 'user' }]);
      const r = await awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 10_000 });
      assert.equal(r.timedOut, false);
      assert.match(r.state, /^(disconnected|terminated)$/);
      assert.equal(r.disconnectType, 'endpoint');
      assert.equal(r.participantId, ids[1]);
      assert.ok(r.endedAt);
      // Count-based: the first read after the end detected it (no extra poll), however late timers fire.
      const endedAt = (await ctx.state(cid)).participants[1].endTime as string;
      const gets = ((await ctx.sim.control.requests()) as unknown as { method: string; time: string }[]).filter((x) => x.method === 'GET');
      // (A read logged in the same millisecond as the end may have seen the leg still connected: strictly after.)
      assert.ok(gets.filter((g) => g.time > endedAt).length <= 1, 'at most one read after the end');
      assert.equal(r.polls, gets.length);
      assert.ok(r.waitedMs >= 1100);
    });

    it('answers after one poll for a leg that has already ended', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent', state: 'disconnected' }]);
      const r = await awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 5000 });
      assert.equal(r.polls, 1);
      assert.equal(r.timedOut, false);
    });

    it('without participantId, waits for the whole conversation to end', async () => {
      const { cid } = await ctx.seed([
        { purpose: 'customer', endAfterMs: 300 },
        { purpose: 'agent', endAfterMs: 900 },
      ]);
      const progress: (string | undefined)[] = [];
      const r = await awaitTerminal(ctx.reader, {
        conversationId: cid,
        waitFor: 'conversation',
        timeoutMs: 10_000,
        onProgress: (i) => progress.push(i.state),
      });
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
      assert.ok(took >= 1500 && took < 10_000, `took ${took} ms`);
      assert.ok(r.polls >= 2 && r.polls <= 5, `polls ${r.polls}`);
    });

    it('an abort rejects cancelled at once and stops polling', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
      const ac = new AbortController();
      const p = awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000, signal: ac.signal });
      await until(async () => (await ctx.sim.control.counters()).gets >= 1, 'the first poll');
      ac.abort();
      assert.deepEqual(await settledNow([p]), [true], 'at once');
      await assert.rejects(p, (err: GenesysError) => err.code === 'cancelled');
      const gets = (await ctx.sim.control.counters()).gets;
      await new Promise((res) => setTimeout(res, POLL_SCHEDULE.fastMs + 200));
      assert.equal((await ctx.sim.control.counters()).gets, gets, 'no poll after the abort');
    });

    it('an abort during a slow read cancels at once too', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
      await ctx.sim.control.faults({ latencyMs: 1000 });
      const ac = new AbortController();
      const p = awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000, signal: ac.signal });
      await until(() => ctx.reader.stats().reads >= 1, 'the slow read to start');
      ac.abort();
      assert.deepEqual(await settledNow([p]), [true], 'at once');
      await assert.rejects(p, (err: GenesysError) => err.code === 'cancelled');
      await ctx.sim.control.faults({});
    });

    it('a failed read does not end the wait: it polls on and sees the end', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent', endAfterMs: 1000 }, { purpose: 'user' }]);
      // No retries in the client: each failure reaches the wait, which polls on (a 503, then a reset socket).
      await ctx.sim.control.failNext([
        { method: 'GET', status: 503, count: 1 },
        { method: 'GET', status: 502, reset: true, count: 1 },
      ]);
      const r = await withNoRetries((reader) => awaitTerminal(reader, { conversationId: cid, participantId: ids[1], timeoutMs: 20_000 }));
      assert.equal(r.timedOut, false);
      assert.match(r.state, /^(disconnected|terminated)$/);
      assert.ok(r.polls >= 3, `polls ${r.polls}`);
    });

    it('a wait whose every read fails times out on output 2 with the last error, not an error', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
      await ctx.sim.control.failNext([{ method: 'GET', status: 503, count: 1000 }]);
      const r = await withNoRetries((reader) => awaitTerminal(reader, { conversationId: cid, participantId: ids[1], timeoutMs: 1200 }));
      assert.equal(r.timedOut, true);
      assert.equal(r.state, 'unknown');
      assert.equal(r.lastError?.code, 'genesys-error');
      assert.equal(r.lastError?.status, 503);
      await ctx.sim.control.failNext([]);
    });

    it('a definite answer ends the wait early: 404 target-not-found, 403 permission-denied', async () => {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }]);
      await ctx.sim.control.failNext([{ method: 'GET', status: 403, code: 'missing.permissions' }]);
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000 }),
        (err: GenesysError) => err.code === 'permission-denied',
      );
      await ctx.sim.control.failNext([{ method: 'GET', status: 404, code: 'not.found' }]);
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000 }),
        (err: GenesysError) => err.code === 'target-not-found',
      );
    });

    it('an unknown participant or conversation is target-not-found', async () => {
      const { cid } = await ctx.seed([{ purpose: 'customer' }]);
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: cid, participantId: NOBODY, timeoutMs: 5000 }),
        (err: GenesysError) => err.code === 'target-not-found',
      );
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: NOBODY, waitFor: 'conversation', timeoutMs: 5000 }),
        (err: GenesysError) => err.code === 'target-not-found',
      );
    });

    it('refuses bad input without a request', async () => {
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: 'x', timeoutMs: 5000 }),
        (err: GenesysError) => err.code === 'invalid-input' && err.field === 'conversationId',
      );
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: NOBODY, participantId: '1; drop', timeoutMs: 5000 }),
        (err: GenesysError) => err.field === 'participantId',
      );
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: NOBODY, participantId: NOBODY, timeoutMs: 0 }),
        (err: GenesysError) => err.field === 'timeoutMs',
      );
      // waitFor "participant" (the default) without an id never becomes a wait for the whole call.
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: NOBODY, timeoutMs: 5000 }),
        (err: GenesysError) => err.code === 'invalid-input' && err.field === 'participantId',
      );
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: NOBODY, participantId: '', waitFor: 'participant', timeoutMs: 5000 }),
        (err: GenesysError) => err.field === 'participantId',
      );
      await assert.rejects(
        awaitTerminal(ctx.reader, { conversationId: NOBODY, waitFor: 'call' as never, timeoutMs: 5000 }),
        (err: GenesysError) => err.field === 'waitFor',
      );
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
      // Count-based: abort once every wait has polled three times (6,000 read calls), however slow the machine.
      await until(() => ctx.reader.stats().reads + ctx.reader.stats().sharedReads >= 6000, 'three polls of every wait', 60_000);
      for (const ac of controllers) ac.abort();
      const all = Promise.all(waits);
      assert.deepEqual(await settledNow([all]), [true], 'every wait settles at once');
      assert.deepEqual([...new Set(await all)], ['cancelled']);
      // 6,000 reads unshared. Polls due in the same round share a GET (a round may split in two or three when
      // its timers fire across event-loop turns under load).
      const { reads, sharedReads } = ctx.reader.stats();
      assert.ok(reads <= 100, `${reads} GETs for 2,000 awaits over 3 polls (6,000 unshared)`);
      assert.ok(sharedReads >= 6000 - reads, JSON.stringify(ctx.reader.stats()));
    });
  });
});
