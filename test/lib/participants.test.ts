import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/platform/errors';
import { filterParticipants, normaliseParticipants, selectTarget, TERMINAL_STATES, TRANSITIONAL_STATES } from '../../lib/conversation/participants';
import { Conversation } from '../../lib/conversation/schemas';
import { USER_A, USER_B, USER_C } from '../../testkit/fixtures';

const CID = 'a1b2c3d4-0000-4000-8000-000000000001';
const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const AGENT = 'c0000000-0000-4000-8000-000000000002';
const HELD = 'c0000000-0000-4000-8000-000000000003';
const RINGING = 'c0000000-0000-4000-8000-000000000004';
const OLD_LEG = 'c0000000-0000-4000-8000-000000000005';
const NEW_LEG = 'c0000000-0000-4000-8000-000000000006';
const QUEUE = 'f0000000-0000-4000-8000-000000000001';

// Shaped like GET /api/v2/conversations/{id}: no participant state, one calls[] entry per leg, extra fields
// that the schema ignores.
function call(id: string, state: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    state,
    recording: false,
    recordingState: 'none',
    muted: false,
    confined: false,
    held: false,
    self: { nameRaw: 'x' },
    provider: 'Edge',
    peerId: null,
    ...extra,
  };
}
const raw = {
  id: CID,
  startTime: '2024-05-01T10:00:00.000Z',
  address: 'tel:+15550001111',
  divisions: [{ division: { id: 'd' }, entities: [] }],
  recordingState: 'active',
  participants: [
    {
      id: CUSTOMER,
      purpose: 'customer',
      name: 'Pat Caller',
      address: 'tel:+15551234567',
      ani: 'tel:+15551234567',
      startTime: '2024-05-01T10:00:00.000Z',
      connectedTime: '2024-05-01T10:00:01.000Z',
      wrapupRequired: false,
      attributes: {},
      calls: [call('m0000000-0000-4000-8000-000000000001', 'connected', { connectedTime: '2024-05-01T10:00:01.000Z' })],
    },
    {
      id: 'acd00000-0000-4000-8000-000000000001',
      purpose: 'acd',
      name: 'Support',
      queueId: QUEUE,
      startTime: '2024-05-01T10:00:01.000Z',
      endTime: '2024-05-01T10:00:05.000Z',
      calls: [
        call('m0000000-0000-4000-8000-000000000002', 'disconnected', { disconnectType: 'transfer', disconnectedTime: '2024-05-01T10:00:05.000Z' }),
      ],
    },
    {
      id: AGENT,
      purpose: 'agent',
      name: 'Ann Agent',
      userId: USER_A,
      queueId: QUEUE,
      wrapupRequired: true,
      calls: [call('m0000000-0000-4000-8000-000000000003', 'connected', { muted: true })],
    },
    {
      id: HELD,
      purpose: 'user',
      name: 'Sam Expert',
      userId: USER_B,
      calls: [call('m0000000-0000-4000-8000-000000000004', 'connected', { held: true })],
    },
    { id: RINGING, purpose: 'user', name: 'Rita Ring', userId: USER_C, calls: [call('m0000000-0000-4000-8000-000000000005', 'alerting')] },
    // The same user twice: a failed-transfer leg (terminated) and a live one.
    {
      id: OLD_LEG,
      purpose: 'user',
      name: 'Sam Expert 2',
      userId: 'e0000000-0000-4000-8000-0000000000dd',
      endTime: '2024-05-01T10:01:00.000Z',
      calls: [
        call('m0000000-0000-4000-8000-000000000006', 'terminated', {
          disconnectType: 'transfer.noanswer',
          disconnectedTime: '2024-05-01T10:01:00.000Z',
        }),
      ],
    },
    {
      id: NEW_LEG,
      purpose: 'user',
      name: 'Sam Expert 2',
      userId: 'e0000000-0000-4000-8000-0000000000dd',
      calls: [call('m0000000-0000-4000-8000-000000000007', 'connected')],
    },
  ],
};
const conversation = Conversation.parse(raw);

describe('lib/participants', () => {
  it('has the terminal and transitional state sets of docs/platform.md', () => {
    assert.deepEqual([...TERMINAL_STATES].sort(), ['disconnected', 'terminated']);
    assert.deepEqual([...TRANSITIONAL_STATES].sort(), ['alerting', 'contacting', 'dialing', 'offering']);
  });

  it('normalises a conference: state from the communications, flags, media type, no undefined fields', () => {
    const list = normaliseParticipants(conversation);
    assert.equal(list.length, 7);
    const byId = new Map(list.map((p) => [p.id, p]));
    assert.deepEqual(byId.get(CUSTOMER), {
      id: CUSTOMER,
      purpose: 'customer',
      name: 'Pat Caller',
      address: 'tel:+15551234567',
      mediaType: 'call',
      state: 'connected',
      communicationId: 'm0000000-0000-4000-8000-000000000001',
      held: false,
      muted: false,
      confined: false,
      wrapupRequired: false,
      startTime: '2024-05-01T10:00:00.000Z',
      connectedTime: '2024-05-01T10:00:01.000Z',
      live: true,
    });
    const acd = byId.get('acd00000-0000-4000-8000-000000000001')!;
    assert.equal(acd.state, 'disconnected');
    assert.equal(acd.live, false);
    assert.equal(acd.disconnectType, 'transfer');
    assert.equal(acd.endTime, '2024-05-01T10:00:05.000Z');
    assert.equal(byId.get(AGENT)!.muted, true);
    assert.equal(byId.get(AGENT)!.wrapupRequired, true);
    assert.equal(byId.get(HELD)!.held, true);
    assert.equal(byId.get(HELD)!.state, 'connected');
    assert.equal(byId.get(RINGING)!.state, 'alerting');
    assert.equal(byId.get(RINGING)!.live, true);
    assert.equal(byId.get(OLD_LEG)!.state, 'terminated');
    assert.equal(byId.get(OLD_LEG)!.live, false);
    assert.equal(byId.get(NEW_LEG)!.live, true);
    for (const p of list) for (const v of Object.values(p)) assert.notEqual(v, undefined);
  });

  it('is live when any communication is live, terminal only when all are', () => {
    const c = Conversation.parse({
      id: CID,
      participants: [
        { id: AGENT, purpose: 'agent', calls: [call('x1', 'disconnected', { disconnectedTime: '2024-05-01T10:00:00Z' }), call('x2', 'connected')] },
        {
          id: HELD,
          purpose: 'agent',
          calls: [
            call('y1', 'disconnected', { disconnectedTime: '2024-05-01T10:00:00Z' }),
            call('y2', 'terminated', { disconnectedTime: '2024-05-01T10:02:00Z', disconnectType: 'client' }),
          ],
        },
        { id: RINGING, purpose: 'agent', chats: [call('z1', 'alerting')], calls: [call('z2', 'disconnected')] },
        { id: CUSTOMER, purpose: 'customer', endTime: '2024-05-01T10:03:00Z', calls: [call('w1', 'connected')] },
      ],
    });
    const [a, b, r, cu] = normaliseParticipants(c);
    assert.equal(a.live, true);
    assert.equal(a.state, 'connected');
    assert.equal(a.communicationId, 'x2');
    assert.equal(b.live, false);
    assert.equal(b.state, 'terminated', 'the last communication to end');
    assert.equal(b.disconnectType, 'client');
    assert.equal(r.live, true);
    assert.equal(r.mediaType, 'chat');
    assert.equal(r.state, 'alerting');
    assert.equal(cu.live, false, 'endTime set wins over a stale communication state');
    assert.equal(cu.state, 'disconnected');
  });

  it('treats every participant as ended once the conversation has ended', () => {
    const ended = Conversation.parse({ ...raw, endTime: '2024-05-01T11:00:00.000Z' });
    assert.ok(normaliseParticipants(ended).every((p) => !p.live));
  });

  it('filters by selector and liveness', () => {
    const list = normaliseParticipants(conversation);
    assert.deepEqual(
      filterParticipants(list, { liveOnly: true }).map((p) => p.id),
      [CUSTOMER, AGENT, HELD, RINGING, NEW_LEG],
    );
    assert.deepEqual(
      filterParticipants(list, { selector: { purpose: 'user' }, liveOnly: true }).map((p) => p.id),
      [HELD, RINGING, NEW_LEG],
    );
    assert.deepEqual(
      filterParticipants(list, { selector: { queueId: QUEUE } }).map((p) => p.id),
      ['acd00000-0000-4000-8000-000000000001', AGENT],
    );
    assert.deepEqual(
      filterParticipants(list, { selector: { address: '+15551234567' } }).map((p) => p.id),
      [CUSTOMER],
    );
    assert.deepEqual(
      filterParticipants(list, { selector: { name: 'ann agent', purpose: 'agent' } }).map((p) => p.id),
      [AGENT],
    );
  });

  it("puts name and purpose first (what the Debug sidebar's one-line preview shows), then id, state and the flags", () => {
    const list = normaliseParticipants(conversation);
    const customer = list.find((p) => p.id === CUSTOMER)!;
    assert.deepEqual(Object.keys(customer).slice(0, 7), ['name', 'purpose', 'id', 'state', 'held', 'muted', 'confined']);
    // Without a name (agent legs on the real platform), purpose comes first.
    const [agent] = normaliseParticipants(
      Conversation.parse({ id: CID, participants: [{ id: AGENT, purpose: 'agent', userId: USER_A, calls: [call('m1', 'connected')] }] }),
    );
    assert.deepEqual(Object.keys(agent).slice(0, 3), ['purpose', 'id', 'state']);
  });

  describe('selectTarget', () => {
    const list = normaliseParticipants(conversation);
    it('selects by participantId, userId and purpose+name', () => {
      assert.equal(selectTarget(list, { participantId: HELD }, CID).id, HELD);
      assert.equal(selectTarget(list, { participantId: HELD.toUpperCase() }, CID).id, HELD);
      assert.equal(selectTarget(list, { selector: { userId: USER_A } }, CID).id, AGENT);
      assert.equal(selectTarget(list, { selector: { purpose: 'user', name: 'Sam Expert' } }, CID).id, HELD);
    });
    it('returns a terminal leg asked for by participantId (the caller reports already-disconnected)', () => {
      const p = selectTarget(list, { participantId: OLD_LEG }, CID);
      assert.equal(p.live, false);
    });
    it('picks the live leg of a user with a terminated and a live leg', () => {
      assert.equal(selectTarget(list, { selector: { userId: 'e0000000-0000-4000-8000-0000000000dd' } }, CID).id, NEW_LEG);
    });
    it('refuses two live matches with ambiguous-target listing both', () => {
      assert.throws(
        () => selectTarget(list, { selector: { purpose: 'user' } }, CID),
        (err: GenesysError) => {
          assert.equal(err.code, 'ambiguous-target');
          assert.deepEqual(
            (err.candidates as { id: string }[]).map((c) => c.id),
            [HELD, RINGING, NEW_LEG],
          );
          assert.match(err.message, new RegExp(HELD));
          return true;
        },
      );
    });
    it('gives target-not-found for no live match or an unknown participantId', () => {
      assert.throws(
        () => selectTarget(list, { selector: { purpose: 'acd' } }, CID),
        (err: GenesysError) => {
          assert.equal(err.code, 'target-not-found');
          assert.match(err.message, /already ended/);
          return true;
        },
      );
      assert.throws(
        () => selectTarget(list, { participantId: 'c0000000-0000-4000-8000-0000000000ff' }, CID),
        (err: GenesysError) => {
          assert.equal(err.code, 'target-not-found');
          assert.equal(err.message, `participant c0000000-0000-4000-8000-0000000000ff is not in conversation ${CID}`);
          return true;
        },
      );
    });
    it('a user id given as participantId: the message names the participant id to use (the live leg of that user)', () => {
      assert.throws(
        () => selectTarget(list, { participantId: USER_B.toUpperCase() }, CID),
        (err: GenesysError) => {
          assert.equal(err.code, 'target-not-found');
          assert.equal(
            err.message,
            `participant ${USER_B.toUpperCase()} is not in conversation ${CID}; ${USER_B.toUpperCase()} is the user id of participant ${HELD}: use participantId ${HELD} or target.userId`,
          );
          return true;
        },
      );
      // The same user with a terminated and a live leg: the live one is named.
      assert.throws(
        () => selectTarget(list, { participantId: 'e0000000-0000-4000-8000-0000000000dd' }, CID),
        new RegExp(`participant ${NEW_LEG}: use participantId ${NEW_LEG}`),
      );
    });
  });
});
