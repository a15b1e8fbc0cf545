import * as assert from 'node:assert/strict';
import { start, SimHandle, demoScenario, ParticipantState } from '../../sim';
import { api, assertError, conference, conferenceEachTest, CONV, eventually, P, QUEUE, request, token, USER, UUID } from './helpers';

describe('sim: conversations and the participant PATCH', () => {
  let sim: SimHandle;
  let tok: string;
  conferenceEachTest({ disconnectDelayMs: 50 }, (s, t) => ((sim = s), (tok = t)));

  const kick = (pid: string, body: object = { state: 'disconnected' }, cid = CONV) =>
    api(sim, tok, 'PATCH', `/api/v2/conversations/${cid}/participants/${pid}`, body);
  const stateOf = async (pid: string, cid = CONV) => (await sim.control.getState(cid)).participants.find((p: ParticipantState) => p.id === pid)!;

  it('GET /api/v2/conversations/{id} answers a Conversation: state on calls[], not on the participant', async () => {
    const r = await api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['inin-correlation-id']), UUID);
    assert.equal(r.headers['inin-ratelimit-allowed'], '300');
    assert.equal(r.headers['inin-ratelimit-count'], '1');
    assert.ok(Number(r.headers['inin-ratelimit-reset']) >= 1);
    const c = r.json;
    assert.equal(c.id, CONV);
    assert.ok(!Number.isNaN(Date.parse(c.startTime)));
    assert.equal(c.endTime, undefined);
    assert.deepEqual(c.divisions, []);
    assert.equal(c.participants.length, 4);
    const agent = c.participants.find((p: any) => p.id === P.agent1);
    assert.equal(agent.state, undefined, 'no participant-level state in Conversation');
    assert.equal(agent.purpose, 'agent');
    assert.equal(agent.userId, USER.agent1);
    assert.equal(agent.queueId, QUEUE);
    assert.equal(agent.wrapupRequired, true);
    assert.equal(agent.calls.length, 1);
    const call = agent.calls[0];
    assert.match(call.id, UUID);
    assert.equal(call.state, 'connected');
    for (const f of ['held', 'muted', 'confined', 'recording']) assert.equal(call[f], false, f);
    assert.ok(call.connectedTime);
    assert.equal(call.disconnectedTime, undefined);
    // Real answers: every media array present (unused ones empty), agents without a name, the customer's name a
    // caller-ID place, every leg of an inbound call inbound, relative selfUri, upper-case recordingState.
    for (const m of ['callbacks', 'chats', 'emails', 'messages', 'videos', 'screenshares', 'cobrowsesessions', 'socialExpressions'])
      assert.deepEqual(agent[m], [], m);
    assert.equal(agent.name, undefined);
    assert.ok(c.participants.every((p: any) => p.calls[0].direction === 'inbound'));
    assert.equal(c.selfUri, `/api/v2/conversations/${CONV}`);
    assert.equal(c.recordingState, 'NONE');
  });

  it('GET /api/v2/conversations/calls/{id} answers a flat CallConversation without conversation endTime', async () => {
    const r = await api(sim, tok, 'GET', `/api/v2/conversations/calls/${CONV}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.endTime, undefined);
    assert.ok(!('startTime' in r.json));
    const agent = r.json.participants.find((p: any) => p.id === P.agent1);
    assert.equal(agent.state, 'connected');
    // As a captured real answer: user {id, selfUri}, no agent name, relative selfUris (docs/platform.md section 3).
    assert.deepEqual(agent.user, { id: USER.agent1, selfUri: `/api/v2/users/${USER.agent1}` });
    assert.deepEqual(agent.queue, { id: QUEUE, selfUri: `/api/v2/routing/queues/${QUEUE}` });
    assert.equal(agent.name, undefined);
    assert.equal(agent.direction, 'inbound');
    assert.deepEqual(r.json.otherMediaUris, []);
    assert.equal(r.json.recordingState, 'none');
    assert.equal(r.json.selfUri, `/api/v2/conversations/calls/${CONV}`);
    assert.equal(agent.calls, undefined);
    assert.equal(agent.held, false);
  });

  it('PATCH {state: disconnected} answers 202 at once and ends the leg after disconnectDelayMs', async () => {
    const r = await kick(P.agent2);
    assert.equal(r.status, 202);
    assert.equal(r.text, '');
    assert.match(String(r.headers['inin-correlation-id']), UUID);
    assert.equal((await stateOf(P.agent2)).state, 'connected', 'asynchronous: still connected right after the 202');
    await eventually(async () => /^(disconnected|terminated)$/.test((await stateOf(P.agent2)).state));
    const c = (await api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`)).json;
    const leg = c.participants.find((p: any) => p.id === P.agent2);
    assert.match(leg.calls[0].state, /^(disconnected|terminated)$/);
    assert.equal(leg.calls[0].disconnectType, 'client');
    assert.ok(leg.calls[0].disconnectedTime);
    assert.ok(leg.endTime);
    assert.equal(c.endTime, undefined, 'the others stay: the conference goes on');
    assert.equal(c.participants.filter((p: any) => p.calls[0].state === 'connected').length, 3);
    const log = await sim.control.requests();
    assert.deepEqual(log.find((e) => e.method === 'PATCH')!.body, { state: 'disconnected' });
  });

  it('a repeated PATCH before the leg ends is accepted again; after it ended: 400 participant.no.active.conversations (generic path), call.disconnected (calls path)', async () => {
    assert.equal((await kick(P.agent2)).status, 202);
    assert.equal((await kick(P.agent2)).status, 202);
    await eventually(async () => /^(disconnected|terminated)$/.test((await stateOf(P.agent2)).state));
    const r = await kick(P.agent2);
    assertError(r, 400, 'conversation.error.participant.no.active.conversations');
    assert.equal(r.json.message, 'Participant has no active conversations');
    const calls = await api(sim, tok, 'PATCH', `/api/v2/conversations/calls/${CONV}/participants/${P.agent2}`, { state: 'disconnected' });
    assertError(calls, 400, 'conversation.error.call.disconnected');
    assert.equal(calls.json.message, 'The call is already disconnected.');
  });

  it('an ended leg goes disconnected, then terminated, back to back', async () => {
    await kick(P.agent2);
    await eventually(async () => (await stateOf(P.agent2)).state === 'terminated');
    const leg = (await api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`)).json.participants.find((p: any) => p.id === P.agent2);
    assert.equal(leg.calls[0].state, 'terminated');
    assert.equal(leg.calls[0].disconnectType, 'client');
  });

  it('the calls twin PATCH /api/v2/conversations/calls/{id}/participants/{pid} works the same', async () => {
    const r = await api(sim, tok, 'PATCH', `/api/v2/conversations/calls/${CONV}/participants/${P.sup}`, { state: 'disconnected' });
    assert.equal(r.status, 202);
    await eventually(async () => /^(disconnected|terminated)$/.test((await stateOf(P.sup)).state));
  });

  it('unknown conversation -> 404 not.found; unknown participant -> 404 not.conversation.participant; non-UUID ids -> 400 invalid.value', async () => {
    assertError(await kick(P.agent1, undefined, '99999999-9999-4999-8999-999999999999'), 404, 'not.found');
    assertError(await api(sim, tok, 'GET', '/api/v2/conversations/99999999-9999-4999-8999-999999999999'), 404, 'not.found');
    assertError(await kick('99999999-9999-4999-8999-999999999999'), 404, 'conversation.error.not.conversation.participant');
    const bad = await kick('not-a-uuid');
    assertError(bad, 400, 'invalid.value');
    assert.match(bad.json.message, /participantId/);
    assertError(await api(sim, tok, 'GET', '/api/v2/conversations/abc'), 400, 'invalid.value');
    // Path injection does not reach another resource.
    assertError(
      await api(sim, tok, 'PATCH', `/api/v2/conversations/${CONV}/participants/..%2F..%2Fusers`, { state: 'disconnected' }),
      400,
      'invalid.value',
    );
  });

  it('bad bodies: unknown field / state -> 400 invalid.value, malformed JSON -> 400 bad.request, wrong type -> 415, none -> 400, > 1 MB -> 413', async () => {
    const unknownField = await kick(P.agent1, { state: 'disconnected', action: 'kick' });
    assertError(unknownField, 400, 'invalid.value');
    assert.match(unknownField.json.message, /action/);
    assertError(await kick(P.agent1, { state: 'terminated' }), 400, 'invalid.value');
    assertError(await kick(P.agent1, { muted: 'yes' }), 400, 'invalid.value');
    assertError(await kick(P.agent1, { wrapup: { code: 7 } }), 400, 'invalid.value');
    const path = `/api/v2/conversations/${CONV}/participants/${P.agent1}`;
    assertError(await api(sim, tok, 'PATCH', path, '{"state":', { headers: { 'Content-Type': 'application/json' } }), 400, 'bad.request');
    assertError(await api(sim, tok, 'PATCH', path, '["disconnected"]', { headers: { 'Content-Type': 'application/json' } }), 400, 'bad.request');
    assertError(
      await api(sim, tok, 'PATCH', path, 'state=disconnected', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      415,
      'unsupported.media.type',
    );
    assertError(await api(sim, tok, 'PATCH', path), 400, 'bad.request');
    const big = JSON.stringify({ state: 'disconnected', pad: 'x'.repeat(1024 * 1024 + 10) });
    assertError(await api(sim, tok, 'PATCH', path, big, { headers: { 'Content-Type': 'application/json' } }), 413, 'request.entity.too.large');
    assert.equal((await stateOf(P.agent1)).state, 'connected', 'no bad request changed anything');
    assert.equal((await stateOf(P.agent1)).disconnectPending, false);
  });

  it('unknown paths and methods -> 404 not.found (including the invented endpoints from the web)', async () => {
    const invented: [string, string][] = [
      ['POST', `/api/v2/conversations/${CONV}/participants/${P.agent1}/disconnect`],
      ['DELETE', `/api/v2/conversations/${CONV}/participants/${P.agent1}`],
      ['GET', `/api/v2/conversations/${CONV}/participants`],
      ['POST', '/api/v2/conversations/voice/legactions/participants'],
      ['GET', '/api/v2/nothing'],
    ];
    for (const [m, p] of invented) assertError(await api(sim, tok, m, p, m === 'POST' ? {} : undefined), 404, 'not.found');
    const outside = await request(`${sim.url}/favicon.ico`);
    assert.equal(outside.status, 404);
    assert.match(String(outside.headers['inin-correlation-id']), UUID);
  });

  it('conversations/calls is never read as a conversation id: 404 not.found, no teardown counted', async () => {
    const paths: [string, string][] = [
      ['GET', '/api/v2/conversations/calls'],
      ['DELETE', '/api/v2/conversations/calls'],
      ['POST', '/api/v2/conversations/calls/disconnect'],
      ['PATCH', `/api/v2/conversations/calls/participants/${P.agent1}`],
    ];
    for (const [m, p] of paths) assertError(await api(sim, tok, m, p, m === 'GET' || m === 'DELETE' ? undefined : {}), 404, 'not.found');
    assert.deepEqual((await sim.control.counters()).teardown, { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 });
  });

  it('PATCH flags (held, muted, confined, recording) and wrap-up apply at once', async () => {
    assert.equal(
      (await kick(P.agent1, { held: true, muted: true, confined: true, recording: true, wrapup: { code: 'c1', notes: 'n' } })).status,
      202,
    );
    const call = (await api(sim, tok, 'GET', `/api/v2/conversations/${CONV}`)).json.participants.find((p: any) => p.id === P.agent1).calls[0];
    assert.deepEqual([call.held, call.muted, call.confined, call.recording, call.state], [true, true, true, true, 'connected']);
    assert.deepEqual((await stateOf(P.agent1)).wrapup, { code: 'c1', notes: 'n' });
  });

  it('a ringing leg connects later on its own (connectAfterMs), or when PATCHed connected; endAfterMs ends a leg with endpoint', async () => {
    const id = '55555555-5555-4555-8555-555555555555';
    const [seeded] = await sim.control.seed({
      conversations: [
        {
          id,
          participants: [
            { purpose: 'customer' },
            { purpose: 'agent', state: 'alerting', connectAfterMs: 100 },
            { purpose: 'external', state: 'dialing' },
            { purpose: 'agent', endAfterMs: 100 },
          ],
        },
      ],
    });
    const [, ringing, dialing, leaving] = seeded.participants;
    assert.match(ringing.id, UUID, 'ids are generated');
    assert.equal(ringing.state, 'alerting');
    assert.equal(ringing.connectedTime, undefined);
    assert.equal((await kick(dialing.id, { state: 'connected' }, id)).status, 202);
    assert.equal((await stateOf(dialing.id, id)).state, 'connected');
    await eventually(async () => (await stateOf(ringing.id, id)).state === 'connected');
    assert.ok((await stateOf(ringing.id, id)).connectedTime);
    await eventually(async () => /^(disconnected|terminated)$/.test((await stateOf(leaving.id, id)).state));
    assert.equal((await stateOf(leaving.id, id)).disconnectType, 'endpoint');
  });

  it('the same user on a terminated and a live leg; conversation endTime set only when the last participant leaves', async () => {
    const id = '66666666-6666-4666-8666-666666666666';
    const old = '66666666-0000-4000-8000-000000000001';
    const live = '66666666-0000-4000-8000-000000000002';
    const cust = '66666666-0000-4000-8000-000000000003';
    await sim.control.seed({
      conversations: [
        {
          id,
          participants: [
            { id: cust, purpose: 'customer' },
            { id: old, purpose: 'agent', userId: USER.agent1, state: 'terminated', disconnectType: 'transfer' },
            { id: live, purpose: 'agent', userId: USER.agent1 },
          ],
        },
      ],
    });
    let c = (await api(sim, tok, 'GET', `/api/v2/conversations/${id}`)).json;
    const legs = c.participants.filter((p: any) => p.userId === USER.agent1);
    assert.deepEqual(legs.map((p: any) => p.calls[0].state).sort(), ['connected', 'terminated']);
    assert.equal(legs.find((p: any) => p.id === old).calls[0].disconnectType, 'transfer');
    assertError(await kick(old, undefined, id), 400, 'conversation.error.participant.no.active.conversations');
    await kick(live, undefined, id);
    await eventually(async () => /^(disconnected|terminated)$/.test((await stateOf(live, id)).state));
    c = (await api(sim, tok, 'GET', `/api/v2/conversations/${id}`)).json;
    assert.equal(c.endTime, undefined, 'the customer is still there (lastPartyPolicy stay)');
    await sim.control.transition({ conversationId: id, participantId: cust, state: 'disconnected' });
    c = (await api(sim, tok, 'GET', `/api/v2/conversations/${id}`)).json;
    assert.ok(c.endTime, 'last participant left: conversation ended');
    assert.equal(c.participants.find((p: any) => p.id === cust).calls[0].disconnectType, 'endpoint');
  });

  it("lastPartyPolicy 'end-conversation': a kick leaving one live party ends the conversation", async () => {
    await sim.control.setOptions({ lastPartyPolicy: 'end-conversation' });
    await kick(P.agent2);
    await kick(P.sup);
    await eventually(
      async () =>
        /^(disconnected|terminated)$/.test((await stateOf(P.sup)).state) && /^(disconnected|terminated)$/.test((await stateOf(P.agent2)).state),
    );
    assert.equal((await sim.control.getState(CONV)).endTime, undefined, 'two parties remain');
    await kick(P.agent1);
    await eventually(async () => (await sim.control.getState(CONV)).endTime !== undefined);
    const cust = await stateOf(P.customer);
    assert.match(cust.state, /^(disconnected|terminated)$/);
    assert.equal(cust.disconnectType, 'peer');
  });

  it('scripted transitions: afterMs, disconnectType; unknown ids or states refused by the control API', async () => {
    await sim.control.transition({ conversationId: CONV, participantId: P.sup, state: 'terminated', afterMs: 60, disconnectType: 'transfer' });
    assert.equal((await stateOf(P.sup)).state, 'connected');
    await eventually(async () => (await stateOf(P.sup)).state === 'terminated');
    assert.equal((await stateOf(P.sup)).disconnectType, 'transfer');
    await assert.rejects(sim.control.transition({ conversationId: CONV, participantId: P.sup, state: 'gone' }), /400/);
    await assert.rejects(sim.control.transition({ conversationId: CONV, participantId: CONV, state: 'connected' }), /400/);
  });

  it('conferences hold up to 20 participants; 21 or a bad seed is refused and stores nothing', async () => {
    const parts = (n: number) => Array.from({ length: n }, (_, i) => ({ purpose: i === 0 ? 'customer' : 'agent' }));
    const [big] = await sim.control.seed({ conversations: [{ participants: parts(20) }] });
    assert.equal(big.participants.length, 20);
    const r = await api(sim, tok, 'GET', `/api/v2/conversations/${big.id}`);
    assert.equal(r.json.participants.length, 20);
    const before = (await sim.control.listConversations()).length;
    await assert.rejects(sim.control.seed({ conversations: [{ participants: parts(21) }] }), /at most 20/);
    await assert.rejects(sim.control.seed({ conversations: [{ participants: parts(2) }, { id: 'x', participants: parts(2) }] }), /UUID/);
    await assert.rejects(sim.control.seed({ conversations: [{ participants: [{ purpose: 'agent', state: 'ringing' as any }] }] }), /state/);
    assert.equal((await sim.control.listConversations()).length, before);
  });

  it('other media: a chat participant has chats[], and is not on the calls view', async () => {
    const id = '77777777-7777-4777-8777-777777777777';
    await sim.control.seed({
      conversations: [
        {
          id,
          participants: [
            { purpose: 'customer', mediaType: 'chat' },
            { purpose: 'agent', mediaType: 'chat' },
          ],
        },
      ],
    });
    const c = (await api(sim, tok, 'GET', `/api/v2/conversations/${id}`)).json;
    assert.equal(c.participants[0].chats[0].state, 'connected');
    assert.deepEqual(c.participants[0].calls, [], 'every media array is listed, the unused ones empty');
    assert.equal((await api(sim, tok, 'GET', `/api/v2/conversations/calls/${id}`)).json.participants.length, 0);
    assert.equal((await kick(c.participants[1].id, undefined, id)).status, 202, 'the generic PATCH works for every media');
  });

  it('the demo scenario seeds four conferences with fixed ids, a ringing leg and a same-user pair', async () => {
    const stored = await sim.control.seed(demoScenario());
    assert.deepEqual(
      stored.map((c) => c.participants.length),
      [4, 3, 4, 3],
    );
    assert.equal(stored[1].participants[2].state, 'alerting');
    const users = stored[2].participants.filter((p) => p.userId === 'b0000001-0000-4000-8000-000000000002');
    assert.deepEqual(
      users.map((p) => p.state),
      ['terminated', 'connected'],
    );
  });
});

describe('sim: teardown endpoints (implemented, counted, never to be called by lib/ or nodes/)', () => {
  let sim: SimHandle;
  let tok: string;
  before(async () => {
    sim = await start({ disconnectDelayMs: 20, scenario: { conversations: [conference()] } });
    tok = await token(sim);
  });
  after(() => sim.close());

  const allEnded = async () =>
    (await sim.control.getState(CONV)).participants.every((p: ParticipantState) => p.state === 'disconnected' || p.state === 'terminated');

  it('POST /api/v2/conversations/{id}/disconnect ends the call for everyone', async () => {
    const r = await api(sim, tok, 'POST', `/api/v2/conversations/${CONV}/disconnect`);
    assert.equal(r.status, 202);
    await eventually(allEnded);
    assert.ok((await sim.control.getState(CONV)).endTime);
    assert.equal((await sim.control.counters()).teardown.postDisconnect, 1);
  });

  it('DELETE /api/v2/conversations/{id} and PATCH /api/v2/conversations/calls/{id} {state: disconnected} too', async () => {
    await sim.control.seed({ conversations: [conference()] }); // same id: replaced by a fresh live conference
    assert.equal((await api(sim, tok, 'DELETE', `/api/v2/conversations/${CONV}`)).status, 202);
    await eventually(allEnded);
    await sim.control.seed({ conversations: [conference()] });
    const r = await api(sim, tok, 'PATCH', `/api/v2/conversations/calls/${CONV}`, { state: 'disconnected' });
    assert.equal(r.status, 200);
    assert.equal(r.json.id, CONV);
    await eventually(allEnded);
    assertError(
      await api(sim, tok, 'PATCH', `/api/v2/conversations/calls/${CONV}`, { participants: [{ id: P.agent1 }], action: 'disconnect' }),
      400,
      'invalid.value',
    );
    const t = (await sim.control.counters()).teardown;
    assert.deepEqual(t, { postDisconnect: 1, deleteConversation: 1, patchCallConversation: 2 });
  });

  it('a teardown attempt is counted even when it fails (no token, unknown conversation)', async () => {
    await request(`${sim.url}/api/v2/conversations/${CONV}/disconnect`, { method: 'POST' });
    assertError(await api(sim, tok, 'DELETE', '/api/v2/conversations/99999999-9999-4999-8999-999999999999'), 404, 'not.found');
    const t = (await sim.control.counters()).teardown;
    assert.equal(t.postDisconnect, 2);
    assert.equal(t.deleteConversation, 2);
  });
});
