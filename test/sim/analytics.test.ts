import * as assert from 'node:assert/strict';
import { start, SimHandle, ParticipantState, SeededConversation } from '../../sim';
import { analyticsQuery } from '../../sim/analytics';
import { api, assertError, conference, CONV, eventually, P, QUEUE, token, USER } from './helpers';

const OTHER = '88888888-8888-4888-8888-888888888888';
const ENDED = '99999999-0000-4000-8000-000000000009';
const ALL_TIME = '2000-01-01T00:00:00.000Z/2100-01-01T00:00:00.000Z';
const live = { type: 'and', predicates: [{ type: 'dimension', dimension: 'conversationEnd', operator: 'notExists' }] };
const seg = (dimension: string, value: string) => ({ type: 'and', predicates: [{ type: 'dimension', dimension, operator: 'matches', value }] });

describe('sim: POST /api/v2/analytics/conversations/details/query', () => {
  let sim: SimHandle;
  let tok: string;
  before(async () => {
    sim = await start({
      scenario: {
        conversations: [
          conference(),
          {
            id: OTHER,
            startTime: '2020-01-01T10:00:00.000Z',
            participants: [
              { purpose: 'customer', mediaType: 'chat' },
              { purpose: 'agent', userId: USER.agent2, mediaType: 'chat' },
            ],
          },
          {
            id: ENDED,
            participants: [
              { purpose: 'customer', state: 'disconnected' },
              { purpose: 'agent', userId: USER.agent1, state: 'disconnected' },
            ],
          },
        ],
      },
    });
    tok = await token(sim);
  });
  after(() => sim.close());

  const query = (body: object) => api(sim, tok, 'POST', '/api/v2/analytics/conversations/details/query', body);
  const ids = (r: { json: any }) => r.json.conversations.map((c: any) => c.conversationId);

  it('answers the AnalyticsConversationQueryResponse shape', async () => {
    const r = await query({ interval: ALL_TIME, conversationFilters: [live], segmentFilters: [seg('userId', USER.agent1)] });
    assert.equal(r.status, 200);
    assert.equal(r.json.totalHits, 1);
    const [c] = r.json.conversations;
    assert.equal(c.conversationId, CONV);
    assert.ok(c.conversationStart);
    assert.equal(c.conversationEnd, undefined);
    const agent = c.participants.find((p: any) => p.participantId === P.agent1);
    assert.equal(agent.purpose, 'agent');
    assert.equal(agent.userId, USER.agent1);
    assert.equal(agent.participantName, 'Alex');
    const [session] = agent.sessions;
    assert.equal(session.mediaType, 'voice', 'analytics says voice for calls');
    assert.ok(session.sessionId);
    const current = session.segments[session.segments.length - 1];
    assert.equal(current.queueId, QUEUE);
    assert.equal(current.segmentType, 'interact');
    assert.equal(current.segmentEnd, undefined);
    assert.equal(session.segments[0].segmentType, 'alert', 'it rang before it was answered');
  });

  it('conversationEnd notExists keeps live conversations only; without it ended ones come too', async () => {
    assert.deepEqual(ids(await query({ interval: ALL_TIME, conversationFilters: [live], order: 'asc' })).sort(), [CONV, OTHER].sort());
    const all = await query({ interval: ALL_TIME });
    assert.equal(all.json.totalHits, 3);
    assert.ok(all.json.conversations.find((c: any) => c.conversationId === ENDED).conversationEnd);
  });

  it('segment filters by userId, queueId, mediaType; or-filters; the interval must overlap', async () => {
    assert.deepEqual(ids(await query({ interval: ALL_TIME, conversationFilters: [live], segmentFilters: [seg('queueId', QUEUE)] })), [CONV]);
    assert.deepEqual(ids(await query({ interval: ALL_TIME, segmentFilters: [seg('mediaType', 'chat')] })), [OTHER]);
    assert.deepEqual(
      ids(await query({ interval: ALL_TIME, conversationFilters: [live], segmentFilters: [seg('mediaType', 'voice'), seg('userId', USER.agent2)] })),
      [CONV],
    );
    const either = {
      type: 'or',
      predicates: [
        { dimension: 'userId', value: USER.agent2 },
        { dimension: 'userId', value: 'nobody' },
      ],
    };
    assert.deepEqual(
      ids(await query({ interval: ALL_TIME, conversationFilters: [live], segmentFilters: [either], order: 'desc' })),
      [CONV, OTHER],
      'newest first: CONV started today',
    );
    // Only conversations that started on a day the interval touches: CONV (live, started today) is not in a
    // 2020 interval; OTHER (starts 2020-01-01 10:00) is not in 09:00-09:30 (no activity yet).
    assert.deepEqual(ids(await query({ interval: '2020-01-01T09:00:00Z/2020-01-01T09:30:00Z' })), []);
    assert.deepEqual(ids(await query({ interval: '2020-01-01T09:00:00Z/2020-01-01T11:00:00Z' })), [OTHER]);
    assert.deepEqual(ids(await query({ interval: '1999-01-01T00:00:00Z/2000-01-01T00:00:00Z' })), [], 'before everything');
    assert.equal((await query({ interval: ALL_TIME, segmentFilters: [seg('userId', 'nobody')] })).json.totalHits, 0);
  });

  it('pages with paging.pageSize / pageNumber, totalHits counts every match', async () => {
    const p1 = await query({ interval: ALL_TIME, paging: { pageSize: 2, pageNumber: 1 } });
    const p2 = await query({ interval: ALL_TIME, paging: { pageSize: 2, pageNumber: 2 } });
    assert.equal(p1.json.conversations.length, 2);
    assert.equal(p2.json.conversations.length, 1);
    assert.equal(p2.json.totalHits, 3);
  });

  it('a torn-down conversation leaves the live list', async () => {
    await sim.control.setOptions({ disconnectDelayMs: 10 });
    await api(sim, tok, 'POST', `/api/v2/conversations/${OTHER}/disconnect`);
    await eventually(async () => !ids(await query({ interval: ALL_TIME, conversationFilters: [live] })).includes(OTHER));
    assert.deepEqual(ids(await query({ interval: ALL_TIME, conversationFilters: [live] })), [CONV]);
  });

  it('refuses what it cannot answer faithfully: 400 naming the problem', async () => {
    const bad: [object, RegExp, string][] = [
      [{}, /interval/, 'invalid.value'],
      [{ interval: 'yesterday' }, /interval/, 'invalid.value'],
      [{ interval: ALL_TIME, segmentFilters: [seg('agentAssistantId', 'x')] }, /does not model dimension agentAssistantId/, 'invalid.value'],
      [{ interval: ALL_TIME, conversationFilters: [{ type: 'xor', predicates: [] }] }, /type/, 'bad.request'],
      [{ interval: ALL_TIME, query: 'everything' }, /query/, 'bad.request'],
      [{ interval: ALL_TIME, paging: { pageSize: 1000 } }, /pageSize/, 'invalid.value'],
    ];
    for (const [body, re, code] of bad) {
      const r = await query(body);
      assertError(r, 400, code);
      assert.match(r.json.message, re);
    }
  });
});

describe('sim: analytics as Genesys answers it (official dimensions, spellings, order, lag)', () => {
  const Q1 = '44444444-0000-4000-8000-0000000000a1';
  const U1 = '33333333-0000-4000-8000-0000000000a1';
  const TRANSFERRED = '99999999-0000-4000-8000-0000000000a2';
  const CHAT = '99999999-0000-4000-8000-0000000000a3';
  let sim: SimHandle;
  let tok: string;
  const today = () => {
    const d = new Date();
    return `${new Date(d.getTime() - 3_600_000).toISOString()}/${new Date(d.getTime() + 60_000).toISOString()}`;
  };
  before(async () => {
    sim = await start({
      scenario: {
        conversations: [
          { ...conference(), startTime: new Date(Date.now() - 300_000).toISOString() },
          {
            id: TRANSFERRED,
            startTime: new Date(Date.now() - 200_000).toISOString(),
            participants: [
              { purpose: 'customer', address: 'tel:+15550111' },
              { purpose: 'agent', userId: U1, queueId: Q1, state: 'terminated', disconnectType: 'transfer.conference' },
              { purpose: 'agent', userId: USER.agent2, queueId: Q1, held: true },
            ],
          },
          {
            id: CHAT,
            startTime: new Date(Date.now() - 100_000).toISOString(),
            participants: [
              { purpose: 'customer', mediaType: 'chat' },
              { purpose: 'agent', userId: U1, mediaType: 'chat', state: 'alerting' },
            ],
          },
        ],
      },
    });
    tok = await token(sim);
  });
  after(() => sim.close());
  const query = (body: object) => api(sim, tok, 'POST', '/api/v2/analytics/conversations/details/query', body);
  const ids = (r: { json: any }) => (r.json.conversations ?? []).map((c: any) => c.conversationId).sort();
  const pred = (dimension: string, value?: string, operator = value === undefined ? 'notExists' : 'matches') => ({
    type: 'dimension',
    dimension,
    operator,
    ...(value === undefined ? {} : { value }),
  });

  it("Genesys' blog query (segmentType interact + queueId + segmentEnd notExists, conversationEnd notExists) finds the live queue legs", async () => {
    // MyPureCloud/developer-center-blog source/2018-02-07-disconnecting-queued-interactions, with today's interval.
    const r = await query({
      paging: { pageSize: 100, pageNumber: 1 },
      order: 'desc',
      segmentFilters: [{ type: 'and', predicates: [pred('segmentType', 'interact'), pred('queueId', Q1), pred('segmentEnd')] }],
      conversationFilters: [{ type: 'and', predicates: [pred('conversationEnd')] }],
      interval: today(),
    });
    assert.equal(r.status, 200, r.text);
    // TRANSFERRED: agent2 is on hold (a hold segment, not interact)... and U1 ended: no match there.
    assert.deepEqual(ids(r), []);
    const q = await query({ segmentFilters: [{ type: 'and', predicates: [pred('queueId', Q1), pred('segmentEnd')] }], interval: today() });
    assert.deepEqual(ids(q), [TRANSFERRED]);
    const interact = await query({
      segmentFilters: [{ type: 'and', predicates: [pred('segmentType', 'interact'), pred('queueId', QUEUE), pred('segmentEnd')] }],
      interval: today(),
    });
    assert.deepEqual(ids(interact), [CONV]);
  });

  it('a segment filter is met by ONE segment: a user with an ended segment and a live one elsewhere', async () => {
    // U1 has an ended interact segment in TRANSFERRED and a live alert segment in CHAT.
    const live = await query({ interval: today(), segmentFilters: [{ type: 'and', predicates: [pred('userId', U1), pred('segmentEnd')] }] });
    assert.deepEqual(ids(live), [CHAT]);
    const ended = await query({
      interval: today(),
      segmentFilters: [{ type: 'and', predicates: [pred('userId', U1), pred('segmentEnd', undefined, 'exists')] }],
    });
    assert.deepEqual(ids(ended), [TRANSFERRED]);
    const voice = await query({ interval: today(), segmentFilters: [{ type: 'and', predicates: [pred('userId', U1), pred('mediaType', 'voice')] }] });
    assert.deepEqual(ids(voice), [TRANSFERRED]);
  });

  it('official dimensions: disconnectType (analytics spelling), conference, direction, ani, purpose, participantName, or-clauses', async () => {
    const by = async (dimension: string, value: string) =>
      ids(await query({ interval: today(), segmentFilters: [{ type: 'and', predicates: [pred(dimension, value)] }] }));
    assert.deepEqual(await by('disconnectType', 'conferenceTransfer'), [TRANSFERRED]);
    assert.deepEqual(await by('disconnectType', 'transfer.conference'), [], 'the REST spelling is not the analytics one');
    assert.deepEqual(await by('conference', 'true'), [CONV, TRANSFERRED].sort());
    assert.deepEqual(await by('direction', 'inbound'), [CONV, TRANSFERRED, CHAT].sort());
    assert.deepEqual(await by('ani', 'tel:+15550111'), [TRANSFERRED]);
    assert.deepEqual(await by('purpose', 'customer'), [CONV, TRANSFERRED, CHAT].sort());
    assert.deepEqual(await by('participantName', 'Alex'), [CONV]);
    const ringing = await query({
      interval: today(),
      segmentFilters: [{ type: 'and', predicates: [pred('segmentType', 'alert'), pred('segmentEnd')] }],
    });
    assert.deepEqual(ids(ringing), [CHAT], 'answered legs rang too, but their alert segment ended');
    assert.deepEqual(await by('segmentType', 'hold'), [TRANSFERRED]);
    const clause = {
      type: 'and',
      clauses: [{ type: 'or', predicates: [pred('userId', U1), pred('userId', USER.agent1)] }],
      predicates: [pred('mediaType', 'voice')],
    };
    assert.deepEqual(ids(await query({ interval: today(), segmentFilters: [clause] })), [CONV, TRANSFERRED].sort());

    const r = await query({ interval: today(), conversationFilters: [{ type: 'and', predicates: [pred('conversationId', TRANSFERRED)] }] });
    const [c] = r.json.conversations;
    const u1 = c.participants.find((p: any) => p.userId === U1);
    const [session] = u1.sessions;
    assert.equal(session.mediaType, 'voice');
    assert.equal(session.direction, 'inbound');
    const last = session.segments[session.segments.length - 1];
    assert.equal(last.disconnectType, 'conferenceTransfer');
    assert.ok(last.segmentEnd);
    assert.equal(c.conversationEnd, undefined, 'the others are still on the call');
  });

  it('refuses what Genesys does not have with a 400: participantId / conversationId as segment dimensions, unknown order', async () => {
    for (const dimension of ['participantId', 'conversationId', 'sessionId']) {
      const r = await query({ interval: today(), segmentFilters: [{ type: 'and', predicates: [pred(dimension, CONV)] }] });
      assertError(r, 400, 'bad.request');
      assert.match(r.json.message, new RegExp(dimension));
    }
    assertError(await query({ interval: today(), conversationFilters: [{ type: 'and', predicates: [pred('userId', U1)] }] }), 400, 'bad.request');
    assertError(await query({ interval: today(), order: 'random' }), 400, 'bad.request');
    assertError(await query({ interval: today(), orderBy: 'participantName' }), 400, 'bad.request');
    assertError(
      await query({ interval: today(), segmentFilters: [{ type: 'and', predicates: [{ dimension: 'userId', operator: 'like', value: 'x' }] }] }),
      400,
      'bad.request',
    );
    assertError(await query({ interval: today(), paging: { pageSize: 101, pageNumber: 1 } }), 400, 'invalid.value');
    assertError(await query({ interval: today(), paging: { pageSize: 10, pageNumber: 0 } }), 400, 'invalid.value');
  });

  it('order asc / desc / unordered, orderBy conversationStart / conversationEnd / segmentStart / segmentEnd', async () => {
    const all = (extra: object) =>
      query({ interval: today(), ...extra }).then((r) => {
        assert.equal(r.status, 200, r.text);
        return r.json.conversations.map((c: any) => c.conversationId);
      });
    const asc = await all({ order: 'asc' });
    assert.deepEqual(await all({ order: 'desc' }), [...asc].reverse());
    assert.deepEqual((await all({ order: 'unordered' })).sort(), [...asc].sort());
    for (const orderBy of ['conversationStart', 'conversationEnd', 'segmentStart', 'segmentEnd']) assert.equal((await all({ orderBy })).length, 3);
    // default page size 25; a page past the end is empty, totalHits still counts all
    const far = await query({ interval: today(), paging: { pageSize: 2, pageNumber: 3 } });
    assert.deepEqual(far.json.conversations, []);
    assert.equal(far.json.totalHits, 3);
  });

  it('analytics lag: a new conversation shows up late; an ended leg keeps no segmentEnd / conversationEnd for a while', () => {
    // The query itself, with an explicit clock: no waiting on real time.
    const t0 = Date.parse('2030-06-01T12:00:00.000Z');
    const conversation: SeededConversation = {
      id: CONV,
      startTime: new Date(t0).toISOString(),
      participants: [
        { ...leg(P.customer, 'customer'), state: 'connected' },
        { ...leg(P.agent1, 'agent', USER.agent1), state: 'terminated', endTime: new Date(t0 + 20_000).toISOString(), disconnectType: 'client' },
      ],
    };
    const world = [conversation];
    const body = {
      interval: '2030-06-01T00:00:00.000Z/2030-06-02T00:00:00.000Z',
      segmentFilters: [
        {
          type: 'and',
          predicates: [
            { dimension: 'userId', value: USER.agent1 },
            { dimension: 'segmentEnd', operator: 'notExists' },
          ],
        },
      ],
    };
    const at = (now: number, lag: number) => analyticsQuery(world, body, lag, now) as { conversations: any[] };
    assert.equal(at(t0 + 4_999, 5_000).conversations.length, 0, 'not in analytics for 5 s');
    assert.equal(at(t0 + 5_000, 5_000).conversations.length, 1, 'then it shows up');
    // The agent left at t0+20 s: with a 5 s lag, analytics shows the leg live until t0+25 s.
    assert.equal(at(t0 + 24_999, 5_000).conversations.length, 1, 'an ended leg still looks live');
    assert.equal(at(t0 + 25_000, 5_000).conversations.length, 0);
    assert.equal(at(t0 + 25_000, 0).conversations.length, 0);
    // The whole conversation ended at t0+30 s: no conversationEnd before t0+35 s.
    conversation.participants[0] = { ...conversation.participants[0], state: 'terminated', endTime: new Date(t0 + 30_000).toISOString() };
    conversation.endTime = new Date(t0 + 30_000).toISOString();
    const all = { interval: body.interval };
    assert.equal((analyticsQuery(world, all, 5_000, t0 + 34_999) as any).conversations[0].conversationEnd, undefined);
    assert.equal((analyticsQuery(world, all, 5_000, t0 + 35_000) as any).conversations[0].conversationEnd, conversation.endTime);
  });

  it('the lag option is set at start, by the control API, and validated', async () => {
    const lagged = await start({ analyticsLagMs: 3_600_000 });
    try {
      const t = await token(lagged);
      const q = () => api(lagged, t, 'POST', '/api/v2/analytics/conversations/details/query', { interval: today() });
      const [c] = await lagged.control.seed({
        conversations: [{ startTime: new Date().toISOString(), participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: U1 }] }],
      });
      assert.deepEqual((await q()).json.conversations, [], 'not in analytics yet');
      await lagged.control.setOptions({ analyticsLagMs: 0 });
      assert.deepEqual(ids(await q()), [c.id]);
      await assert.rejects(lagged.control.setOptions({ analyticsLagMs: -1 }), /analyticsLagMs/);
    } finally {
      await lagged.close();
    }
  });
});

function leg(id: string, purpose: string, userId?: string): ParticipantState {
  return {
    id,
    purpose,
    userId,
    mediaType: 'call',
    communicationId: id.replace(/^2/, '5'),
    state: 'connected',
    held: false,
    muted: false,
    confined: false,
    recording: false,
    wrapupRequired: false,
    startTime: '2030-06-01T12:00:00.000Z',
    connectedTime: '2030-06-01T12:00:01.000Z',
    disconnectPending: false,
  };
}
