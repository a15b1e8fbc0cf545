import * as assert from 'node:assert/strict';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { GenesysError } from '../../lib/platform/errors';
import { ANALYTICS_PERMISSION, DEFAULT_INTERVAL_HOURS, findLiveConversations, MAX_PAGES, PAGE_SIZE } from '../../lib/conversation/find-conversations';
import { useSimulatorClient } from '../support/sim-session';
import { USER_A, USER_B, USER_C } from '../../testkit/fixtures';
import { until } from '../support/until';
import { simClient } from '../../testkit/sim-client';

const QUEUE = 'f0000000-0000-4000-8000-0000000000a1';
const ANALYTICS = '/api/v2/analytics/conversations/details/query';

describe('lib/find-conversations (against the simulator)', () => {
  const ctx = useSimulatorClient();
  const find = (criteria: object) => findLiveConversations(ctx.client, ctx.reader, criteria);
  const requests = async () => (await ctx.sim.control.requests()).filter((r) => r.path.startsWith('/api/v2/'));

  it('a user with a live leg in one of 200 conversations (and a terminated leg in another) is found in exactly that one', async () => {
    const others = Array.from({ length: 198 }, (_, i) => ({
      participants: [
        { purpose: 'customer', address: `tel:+1555000${String(i).padStart(4, '0')}` },
        { purpose: 'agent', userId: i % 2 ? USER_B : USER_C, queueId: QUEUE },
      ],
    }));
    const seeded = await ctx.sim.control.seed({
      conversations: [
        ...others.slice(0, 100),
        {
          participants: [
            { purpose: 'customer' },
            { purpose: 'agent', userId: USER_A, state: 'terminated', disconnectType: 'transfer' },
            { purpose: 'agent', userId: USER_B },
          ],
        },
        { participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_A, queueId: QUEUE }] },
        ...others.slice(100),
      ],
    } as never);
    const live = seeded[101];
    const result = await find({ userId: USER_A });
    assert.deepEqual(
      result.conversations.map((c) => c.conversationId),
      [live.id],
    );
    const [found] = result.conversations;
    assert.equal(found.participantId, live.participants[1].id, 'the live leg, ready for disconnect');
    assert.equal(found.participant!.userId, USER_A);
    assert.equal(found.participant!.live, true);
    assert.equal(found.participants.length, 2);
    assert.equal(result.truncated, false);
    // One query, one REST read per candidate: nothing else.
    const log = await requests();
    assert.equal(log.filter((r) => r.path === ANALYTICS).length, 1);
    assert.deepEqual(
      log.filter((r) => r.method === 'GET').map((r) => r.path),
      [`/api/v2/conversations/${live.id}`],
    );
    assert.equal(log.length, 2);
  });

  it('sends the documented query: conversationEnd notExists, the user, voice by default, a live segment, the last 24 h, newest first', async () => {
    const now = Date.parse('2030-03-01T12:00:00.000Z');
    await findLiveConversations(ctx.client, ctx.reader, { userId: USER_A.toUpperCase() }, { now });
    const [q] = (await requests()).filter((r) => r.path === ANALYTICS);
    const body = q.body as any;
    const [from, to] = body.interval.split('/').map(Date.parse);
    assert.equal(now - from, DEFAULT_INTERVAL_HOURS * 3_600_000);
    assert.ok(to > now);
    assert.equal(body.order, 'desc');
    assert.deepEqual(body.paging, { pageSize: PAGE_SIZE, pageNumber: 1 });
    assert.deepEqual(body.conversationFilters, [
      { type: 'and', predicates: [{ type: 'dimension', dimension: 'conversationEnd', operator: 'notExists' }] },
    ]);
    assert.deepEqual(body.segmentFilters[0].predicates, [
      { type: 'dimension', dimension: 'userId', operator: 'matches', value: USER_A },
      { type: 'dimension', dimension: 'mediaType', operator: 'matches', value: 'voice' },
      { type: 'dimension', dimension: 'segmentEnd', operator: 'notExists' },
    ]);
  });

  it('pages through a busy queue (150 live conversations: two pages) and reads each candidate once', async () => {
    const many = Array.from({ length: 150 }, () => ({
      participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_B, queueId: QUEUE }],
    }));
    await ctx.sim.control.seed({
      conversations: [
        ...many,
        {
          participants: [
            { purpose: 'customer', mediaType: 'chat' },
            { purpose: 'agent', queueId: QUEUE, mediaType: 'chat' },
          ],
        },
      ],
    } as never);
    const result = await find({ queueId: QUEUE });
    assert.equal(result.conversations.length, 150, 'voice only, by default');
    assert.ok(result.conversations.every((c) => c.participant?.queueId === QUEUE));
    const log = await requests();
    assert.deepEqual(
      log.filter((r) => r.path === ANALYTICS).map((r) => (r.body as any).paging.pageNumber),
      [1, 2],
    );
    assert.equal(log.filter((r) => r.method === 'GET').length, 150);
    const chats = await find({ queueId: QUEUE, mediaType: 'chat' });
    assert.equal(chats.conversations.length, 1);
  });

  it(`stops after ${MAX_PAGES} pages and says so (truncated)`, async () => {
    await ctx.sim.control.setOptions({ rateLimitPerMinute: 100_000 });
    const client = simClient(ctx.sim.url, {
      requestsPerMinute: 100_000,
    });
    try {
      const batch = Array.from({ length: 100 }, () => ({ participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_C }] }));
      for (let i = 0; i < 11; i++) await ctx.sim.control.seed({ conversations: batch } as never);
      const result = await findLiveConversations(client, new ConversationReader(client), { userId: USER_C });
      assert.equal(result.truncated, true);
      assert.equal(result.candidates, MAX_PAGES * PAGE_SIZE);
      assert.equal(result.conversations.length, MAX_PAGES * PAGE_SIZE);
    } finally {
      await client.close();
    }
  });

  it('by caller address (ANI)', async () => {
    const [c] = await ctx.sim.control.seed({
      conversations: [
        {
          participants: [
            { purpose: 'customer', address: 'tel:+15557654321' },
            { purpose: 'agent', userId: USER_A },
          ],
        },
      ],
    } as never);
    const result = await find({ ani: 'tel:+15557654321' });
    assert.deepEqual(
      result.conversations.map((x) => x.conversationId),
      [c.id],
    );
    assert.equal(result.conversations[0].participant!.purpose, 'customer');
    assert.deepEqual((await find({ ani: 'tel:+15550000000' })).conversations, []);
  });

  it('with analytics lag, a just-started call is found once it shows up; a just-ended one is not reported live (the REST read decides)', async () => {
    // A lag far longer than the test: the call that just started is not in analytics yet (no clock race).
    await ctx.sim.control.setOptions({ analyticsLagMs: 3_600_000 });
    const [fresh] = await ctx.sim.control.seed({
      conversations: [{ startTime: new Date().toISOString(), participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_A }] }],
    } as never);
    const before = await find({ userId: USER_A });
    assert.equal(before.candidates, 0);
    assert.deepEqual(before.conversations, [], 'not found before analytics has it');
    // Then a short lag: it shows up, and from then on it is found.
    await ctx.sim.control.setOptions({ analyticsLagMs: 200 });
    let found: Awaited<ReturnType<typeof find>>['conversations'] = [];
    await until(async () => {
      found = (await find({ userId: USER_A })).conversations;
      return found.length === 1;
    }, 'the new call shows up in analytics');
    assert.equal(found[0].conversationId, fresh.id);

    // An older call whose agent just left: analytics still shows the leg live for a minute.
    await ctx.sim.control.setOptions({ analyticsLagMs: 30_000 });
    const [older] = await ctx.sim.control.seed({
      conversations: [{ participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_B }, { purpose: 'agent', userId: USER_C }] }],
    } as never);
    await ctx.sim.control.transition({ conversationId: older.id, participantId: older.participants[1].id, state: 'disconnected' });
    const after = await find({ userId: USER_B });
    assert.equal(after.candidates, 1, 'analytics still offers it');
    assert.deepEqual(after.conversations, [], 'the REST read says the leg ended');
    assert.equal((await find({ userId: USER_C })).conversations.length, 1, 'the other agent is still on it');
  });

  it('a candidate gone by the time it is read (404) is skipped, not an error', async () => {
    const [c] = await ctx.sim.control.seed({
      conversations: [{ participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_A }] }],
    } as never);
    await ctx.sim.control.failNext([{ method: 'GET', path: c.id, status: 404, code: 'not.found' }]);
    const result = await find({ userId: USER_A });
    assert.equal(result.candidates, 1);
    assert.deepEqual(result.conversations, []);
  });

  it('a 403 on the query says which permission it needs', async () => {
    await ctx.sim.control.failNext([{ path: 'analytics', status: 403, code: 'missing.permissions' }]);
    await assert.rejects(find({ userId: USER_A }), (err: GenesysError) => {
      assert.equal(err.code, 'permission-denied');
      assert.equal(err.status, 403);
      assert.equal(err.missingPermission, ANALYTICS_PERMISSION);
      assert.match(err.message, /analytics:conversationDetail:view/);
      assert.ok(err.correlationId);
      return true;
    });
  });

  it('bad input: invalid-input naming the field, and no request at all', async () => {
    const bad: [unknown, string][] = [
      [undefined, 'criteria'],
      [{}, 'userId'],
      [{ userId: '' }, 'userId'],
      [{ userId: 'not-a-uuid' }, 'userId'],
      [{ userId: '../../users' }, 'userId'],
      [{ queueId: 42 }, 'queueId'],
      [{ userId: USER_A, queueId: QUEUE }, 'queueId'],
      [{ ani: '' }, 'userId'],
      [{ ani: 'tel:+1\n555' }, 'ani'],
      [{ userId: USER_A, mediaType: 'call' }, 'mediaType'],
      [{ userId: USER_A, intervalHours: 0 }, 'intervalHours'],
      [{ userId: USER_A, intervalHours: 24 * 365 }, 'intervalHours'],
      [{ userId: USER_A, intervalHours: 'soon' }, 'intervalHours'],
    ];
    for (const [criteria, field] of bad) {
      await assert.rejects(findLiveConversations(ctx.client, ctx.reader, criteria as never), (err: GenesysError) => {
        assert.equal(err.code, 'invalid-input', JSON.stringify(criteria));
        assert.equal(err.field, field, JSON.stringify(criteria));
        return true;
      });
    }
    const counters = await ctx.sim.control.counters();
    assert.equal(counters.apiRequests, 0);
    assert.equal(counters.tokenGrants, 0);
  });
});

describe('lib/find-conversations: a failed read', () => {
  const ctx = useSimulatorClient();

  it('fails the search (never a silent partial answer) and starts no further reads', async () => {
    const batch = Array.from({ length: 30 }, () => ({ participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: USER_A }] }));
    await ctx.sim.control.seed({ conversations: batch } as never);
    await ctx.sim.control.failNext([{ method: 'GET', status: 400, code: 'bad.request' }]);
    await assert.rejects(
      findLiveConversations(ctx.client, ctx.reader, { userId: USER_A }),
      (err: GenesysError) => err.code === 'genesys-error' && err.status === 400,
    );
    const gets = (await ctx.sim.control.requests()).filter((r) => r.method === 'GET');
    assert.ok(gets.length < batch.length, `the reads stopped after the failure (${gets.length} of ${batch.length})`);
  });
});
