// The nodes give every msg of a node ONE signal (nodes/shared/flow-node.ts): thousands of kicks, reads and
// waits then share it. Each layer must remove what it added to it when its work ends, or a busy node's signal
// grows without end (a leak, and every later removal searches a longer list). The transport keeps one listener
// per signal, which ends the requests in flight on it (abort.ts inFlightOn). Against the simulator.
import * as assert from 'node:assert/strict';
import { getEventListeners, setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { awaitTerminal } from '../../lib/conversation/await-terminal';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { KickLedger } from '../../lib/conversation/kick-ledger';
import { GenesysError } from '../../lib/platform/errors';
import { kickParticipant } from '../../lib/conversation/kick';
import { start } from '../../sim';
import { useSimulatorClient } from '../support/sim-session';
import { simClient } from '../../testkit/sim-client';

describe('one signal shared by every call of a node', function () {
  this.timeout(60_000);
  const ctx = useSimulatorClient();

  it('30 kicks with confirm, reads and awaits on one signal, queued at the rate limiter, leave no abort listener on it', async () => {
    // A small budget over a short window (time scaled down), so that requests wait in the limiter's line too.
    // It also once found a deadlock: a kick's booked read joined an await's GET still waiting for the limiter,
    // holding its booked slot idle; with every slot booked that way nothing moved (conversation-reader.ts).
    // Its own simulator, with Genesys' minute scaled to 1 s (300 requests/s there, 66/s here).
    const sim = await start({ port: 0, rateLimitWindowMs: 1000 });
    const client = simClient(sim.url, {
      requestsPerMinute: 20,
      rateLimitWindowMs: 300,
    });
    const reader = new ConversationReader(client);
    const kick = { client, reader, ledger: new KickLedger() };
    const ac = new AbortController();
    const signal = ac.signal;
    setMaxListeners(0, signal); // as the nodes do: many calls at once on it is normal
    const calls: Promise<unknown>[] = [];
    const seed = async (participants: unknown[]) => {
      const [conv] = (await sim.control.seed({ conversations: [{ participants }] } as never)) as unknown as {
        id: string;
        participants: { id: string }[];
      }[];
      return { cid: conv.id, ids: conv.participants.map((p) => p.id) };
    };
    const convs = await Promise.all(
      Array.from({ length: 15 }, () =>
        seed([
          { purpose: 'customer' },
          { purpose: 'agent', userId: randomUUID() },
          { purpose: 'agent', userId: randomUUID() },
          { purpose: 'agent', userId: randomUUID() },
        ]),
      ),
    );
    for (const { cid, ids } of convs) {
      calls.push(kickParticipant(kick, { conversationId: cid, participantId: ids[1], confirm: true, signal }));
      calls.push(kickParticipant(kick, { conversationId: cid, participantId: ids[2], confirm: true, signal }));
      calls.push(reader.read(cid, { signal }));
      calls.push(awaitTerminal(reader, { conversationId: cid, participantId: ids[1], timeoutMs: 30_000, signal }));
      calls.push(awaitTerminal(reader, { conversationId: cid, participantId: ids[3], timeoutMs: 1_500, signal }));
    }
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, getEventListeners(signal, 'abort').length)), 5);
    const outcomes = await Promise.allSettled(calls).finally(() => clearInterval(sampler));
    await client.close();
    await sim.close();
    const failed = outcomes.filter((o) => o.status === 'rejected');
    assert.deepEqual(failed, [], 'every call succeeded');
    assert.ok(most > 1, `requests waited on the signal (${most} listeners at most)`);
    // What stays is the transport's one listener (abort.ts inFlightOn), whatever the number of calls.
    assert.ok(getEventListeners(signal, 'abort').length <= 1, "no listener left behind but the transport's one");
  });

  it("an abort mid-way ends every call with the signal's reason and leaves no listener", async () => {
    const ac = new AbortController();
    const signal = ac.signal;
    setMaxListeners(0, signal); // as the nodes do: many calls at once on it is normal
    const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }]);
    const calls = [
      ...Array.from({ length: 300 }, () => awaitTerminal(ctx.reader, { conversationId: cid, participantId: ids[1], timeoutMs: 60_000, signal })),
      ...Array.from({ length: 20 }, () => ctx.reader.read(cid, { signal })),
      kickParticipant(
        { client: ctx.client, reader: ctx.reader, ledger: ctx.ledger },
        { conversationId: cid, participantId: ids[2], confirm: true, dryRun: true, signal },
      ),
    ];
    const reason = new GenesysError('cancelled', 'closed');
    ac.abort(reason);
    const outcomes = await Promise.allSettled(calls);
    assert.ok(
      outcomes.every((o) => o.status === 'rejected' && o.reason === reason),
      'every call rejects with the one reason',
    );
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});
