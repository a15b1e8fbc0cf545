import * as assert from 'node:assert/strict';
import { start, SimHandle } from '../../sim';
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
          { id: OTHER, startTime: '2030-01-01T10:00:00.000Z', participants: [{ purpose: 'customer', mediaType: 'chat' }, { purpose: 'agent', userId: USER.agent2, mediaType: 'chat' }] },
          { id: ENDED, participants: [{ purpose: 'customer', state: 'disconnected' }, { purpose: 'agent', userId: USER.agent1, state: 'disconnected' }] },
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
    assert.equal(session.segments[0].queueId, QUEUE);
    assert.equal(session.segments[0].segmentType, 'interact');
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
    assert.deepEqual(ids(await query({ interval: ALL_TIME, conversationFilters: [live], segmentFilters: [seg('mediaType', 'voice'), seg('userId', USER.agent2)] })), [CONV]);
    const either = { type: 'or', predicates: [{ dimension: 'userId', value: USER.agent2 }, { dimension: 'userId', value: 'nobody' }] };
    assert.deepEqual(ids(await query({ interval: ALL_TIME, conversationFilters: [live], segmentFilters: [either], order: 'desc' })), [OTHER, CONV]);
    // OTHER starts at 10:00; CONV is live since before: it overlaps any later interval. ENDED ended before 2030.
    assert.deepEqual(ids(await query({ interval: '2030-01-01T09:00:00Z/2030-01-01T09:30:00Z' })), [CONV]);
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

  it('refuses what it cannot answer faithfully: 400 invalid.value naming the problem', async () => {
    const bad: [object, RegExp][] = [
      [{}, /interval/],
      [{ interval: 'yesterday' }, /interval/],
      [{ interval: ALL_TIME, segmentFilters: [seg('wrapUpCode', 'x')] }, /wrapUpCode/],
      [{ interval: ALL_TIME, conversationFilters: [{ type: 'xor', predicates: [] }] }, /type/],
      [{ interval: ALL_TIME, query: 'everything' }, /query/],
      [{ interval: ALL_TIME, paging: { pageSize: 1000 } }, /pageSize/],
    ];
    for (const [body, re] of bad) {
      const r = await query(body);
      assertError(r, 400, 'invalid.value');
      assert.match(r.json.message, re);
    }
  });
});
