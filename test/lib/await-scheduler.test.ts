// The await scheduler's own guarantees, apart from HTTP: one timer per reader whatever the number of waits,
// deadlines kept in order, one abort listener per signal, cancellation in bounded batches (a redeploy of
// 50,000 waits never freezes the runtime in one turn), and a throwing onProgress ending only its own wait.
// The reader here is a stand-in that answers on a microtask, as the real one always does (its GET is async);
// the HTTP path is covered against the simulator in await.test.ts.
import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as FakeTimers from '@sinonjs/fake-timers';
import { awaitTerminal, CANCEL_BATCH, pendingWaits, POLL_SCHEDULE, type AwaitResult } from '../../lib/conversation/await-terminal';
import type { ConversationReader, ReadListener, ReadResult } from '../../lib/conversation/conversation-reader';
import { GenesysError } from '../../lib/platform/errors';
import { normaliseParticipants } from '../../lib/conversation/participants';
import { countPerTurn } from '../support/until';

const CID = '1b0b2c3d-0000-4000-8000-000000000001';
const LEG = '1b0b2c3d-0000-4000-8000-0000000000aa';

/** A reader whose every GET answers (on a microtask) with the leg in the state `state()` says. */
function standInReader(state: () => string = () => 'connected', answer = true) {
  let joins = 0;
  const open = new Map<ReadListener, { left: boolean }>();
  const reader = {
    join(conversationId: string, _opts: unknown, listener: ReadListener) {
      joins++;
      const ticket = { conversationId, left: false };
      open.set(listener, ticket);
      if (!answer) return ticket;
      queueMicrotask(() => {
        if (ticket.left) return;
        const conversation = { id: CID, participants: [{ id: LEG, purpose: 'agent', calls: [{ id: 'c1', state: state() }] }] };
        const result: ReadResult = { conversation: conversation as never, participants: normaliseParticipants(conversation as never) };
        listener.readDone(result);
      });
      return ticket;
    },
    leave(ticket: { left: boolean }, listener: ReadListener) {
      ticket.left = true;
      open.delete(listener);
    },
  };
  /** Every read in flight fails at once (what a client closing does to the reads it holds). */
  const failAll = (err: unknown) => {
    const listeners = [...open.keys()];
    open.clear();
    for (const l of listeners) l.readFailed(err);
  };
  return { reader: reader as unknown as ConversationReader, joins: () => joins, failAll };
}

describe('lib/await-terminal scheduler', () => {
  let clock: FakeTimers.Clock | undefined;
  afterEach(() => {
    clock?.uninstall();
    clock = undefined;
  });

  it('1,000 waits hold one timer between them and time out in the order of their deadlines', async () => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { reader } = standInReader();
    // Deadlines 1..1,000 s in a shuffled order of creation.
    const timeouts = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000);
    for (let i = timeouts.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [timeouts[i], timeouts[j]] = [timeouts[j], timeouts[i]];
    }
    const order: number[] = [];
    const waits = timeouts.map((timeoutMs) =>
      awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs }).then((r) => {
        order.push(timeoutMs);
        return r;
      }),
    );
    await clock.tickAsync(0);
    assert.equal(pendingWaits(reader), 1000);
    assert.equal(clock.countTimers(), 1, 'one timer for 1,000 waits');
    let maxTimers = 1;
    for (let t = 0; t < 1001; t++) {
      await clock.tickAsync(1000);
      maxTimers = Math.max(maxTimers, clock.countTimers());
    }
    const results: AwaitResult[] = await Promise.all(waits);
    assert.ok(results.every((r) => r.timedOut && r.state === 'connected'));
    assert.deepEqual(
      order,
      [...timeouts].sort((a, b) => a - b),
      'deadlines kept in order',
    );
    assert.equal(maxTimers, 1);
    assert.equal(clock.countTimers(), 0, 'no timer left once every wait ended');
    assert.equal(pendingWaits(reader), 0);
  });

  it('polls on the documented schedule and stops the moment the leg has ended', async () => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let state = 'connected';
    const { reader, joins } = standInReader(() => state);
    const wait = awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs: 60_000 });
    await clock.tickAsync(0);
    assert.equal(joins(), 1, 'the first poll at once');
    await clock.tickAsync(POLL_SCHEDULE.fastMs);
    assert.equal(joins(), 2);
    await clock.tickAsync(POLL_SCHEDULE.fastMs);
    assert.equal(joins(), 3);
    state = 'disconnected';
    await clock.tickAsync(POLL_SCHEDULE.fastMs);
    const r = await wait;
    assert.equal(r.timedOut, false);
    assert.equal(r.polls, 4);
    assert.equal(r.state, 'disconnected');
    await clock.tickAsync(60_000);
    assert.equal(joins(), 4, 'no poll after the end');
  });

  it('waits sharing one signal add one abort listener to it, and leave none once they have ended', async () => {
    let state = 'connected';
    const { reader } = standInReader(() => state);
    const ac = new AbortController();
    const waits = Array.from({ length: 5000 }, () =>
      awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs: 60_000, signal: ac.signal }),
    );
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1, '5,000 waits, one listener');
    state = 'terminated';
    // Every wait polled at once; the answers come on microtasks.
    const results = await Promise.all(waits);
    assert.ok(results.every((r) => !r.timedOut));
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    assert.equal(pendingWaits(reader), 0);
  });

  it('an abort ends 5,000 waits with one shared reason, at most CANCEL_BATCH per turn', async () => {
    const { reader } = standInReader();
    const ac = new AbortController();
    const reason = new GenesysError('cancelled', 'cancelled: the node was closed or redeployed');
    const errors: unknown[] = [];
    const waits = Array.from({ length: 5000 }, () =>
      awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs: 60_000, firstPollDelayMs: 10_000, signal: ac.signal }).catch(
        (e) => {
          errors.push(e);
        },
      ),
    );
    // Count the waits ended per event-loop turn: promise reactions run before the next setImmediate.
    const perTurn = countPerTurn(errors, 5000); // queued before the abort's own batches: each sample sees one turn's batch
    ac.abort(reason);
    await Promise.all(waits);
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 5000);
    assert.ok(
      errors.every((e) => e === reason),
      "every wait rejects with the signal's own reason",
    );
    assert.ok(perTurn.length >= 5000 / CANCEL_BATCH - 1, `${perTurn.length} turns`);
    assert.ok(Math.max(...perTurn) <= CANCEL_BATCH, `at most ${CANCEL_BATCH} per turn: ${perTurn.join(',')}`);
    assert.equal(pendingWaits(reader), 0);
  });

  it('the client closing in the same turn as the abort fails every read at once: the waits still end in batches', async () => {
    const { reader, failAll } = standInReader(undefined, false); // reads never answer: all 5,000 in flight
    const ac = new AbortController();
    const reason = new GenesysError('cancelled', 'closed');
    const errors: unknown[] = [];
    const waits = Array.from({ length: 5000 }, () =>
      awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs: 60_000, signal: ac.signal }).catch((e) => {
        errors.push(e);
      }),
    );
    const perTurn = countPerTurn(errors, 5000);
    ac.abort(reason);
    failAll(new GenesysError('cancelled', 'the client was closed while the request waited for the rate limiter'));
    await Promise.all(waits);
    assert.ok(
      errors.every((e) => e === reason),
      "each wait ends with its own signal's reason",
    );
    assert.ok(Math.max(...perTurn) <= CANCEL_BATCH, `at most ${CANCEL_BATCH} per turn: ${perTurn.join(',')}`);
  });

  it('an onProgress that throws ends its own wait with that error; the others go on', async () => {
    let state = 'connected';
    const { reader } = standInReader(() => state);
    const boom = new Error('a flow callback failed');
    const bad = awaitTerminal(reader, {
      conversationId: CID,
      participantId: LEG,
      timeoutMs: 60_000,
      onProgress: () => {
        throw boom;
      },
    });
    const good = Array.from({ length: 3 }, () =>
      awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs: 60_000, onProgress: () => {} }),
    );
    await assert.rejects(bad, (e) => e === boom);
    state = 'disconnected';
    const results = await Promise.all(good);
    assert.ok(results.every((r) => !r.timedOut && r.state === 'disconnected'));
  });

  it('an aborted signal refuses a new wait at once with its reason, and no read is made', async () => {
    const { reader, joins } = standInReader();
    const ac = new AbortController();
    const reason = new GenesysError('cancelled', 'closed');
    ac.abort(reason);
    await assert.rejects(awaitTerminal(reader, { conversationId: CID, participantId: LEG, timeoutMs: 1000, signal: ac.signal }), (e) => e === reason);
    assert.equal(joins(), 0);
  });
});
