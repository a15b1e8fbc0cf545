// lib/conversation/events.ts on its own: the options (bad values named, nothing subscribed), and how events
// become results: duplicates collapsed, joins and leaves told once per participant whatever topic brought them,
// detail events, purpose. The channel manager here is a small driver of the TopicListener interface (the real
// manager over real sockets is in test/nodes/events.test.ts and test/lib/push-sim.test.ts).
import * as assert from 'node:assert/strict';
import { ConversationEvents, parseEventsOptions, type TopicEvent, type EventsNotice } from '../../lib';
import type { NotificationChannels, TopicListener } from '../../lib/platform/notifications';

const Q = '0f6d3f5e-1a2b-4c3d-8e9f-0011223344aa';
const U = '0f6d3f5e-1a2b-4c3d-8e9f-0011223344bb';
const C = '0f6d3f5e-1a2b-4c3d-8e9f-0011223344cc';
const QT = `v2.routing.queues.${Q}.conversations`;
const UT = `v2.users.${U}.conversations`;

/** Subscribes every topic as pending; tests make them live and send events. */
class Driver {
  readonly listeners = new Map<string, TopicListener>();
  readonly enabled = true;
  subscribe(topic: string, l: TopicListener) {
    this.listeners.set(topic, l);
    return { state: 'pending' as const, reason: 'subscribing' };
  }
  unsubscribe(topic: string) {
    this.listeners.delete(topic);
  }
  topicDetail() {
    return { state: 'down' as const, reason: 'socket down' };
  }
  send(topic: string, body: unknown) {
    this.listeners.get(topic)!.pushEvent(topic, body);
  }
}

const leg = (id: string, purpose: string, state: string, extra: Record<string, unknown> = {}) => ({
  id,
  purpose,
  connectedTime: new Date(Date.now() - 120_000).toISOString(),
  calls: [{ state }],
  ...extra,
});
const conv = (...participants: unknown[]) => ({ id: C, participants });

function run(raw: Record<string, unknown>) {
  const push = new Driver();
  const events: TopicEvent[] = [];
  const notices: EventsNotice[] = [];
  const source = new ConversationEvents(push as unknown as NotificationChannels, parseEventsOptions(raw), {
    onEvent: (e) => events.push(e),
    onNotice: (n) => notices.push(n),
    onStatus: () => undefined,
  });
  source.start();
  return { push, events, notices, source };
}

describe('events: options', () => {
  it('builds the topic names (lower case, no duplicates) and refuses bad values naming the field', () => {
    const s = parseEventsOptions({
      topics: [
        { kind: 'queue', id: Q.toUpperCase() },
        { kind: 'queue', id: Q },
        { kind: 'conversation', id: C },
      ],
    });
    assert.deepEqual(s.topics, [
      QT,
      `v2.detail.events.conversation.${C}.user.start`,
      `v2.detail.events.conversation.${C}.user.end`,
      `v2.detail.events.conversation.${C}.customer.start`,
      `v2.detail.events.conversation.${C}.customer.end`,
    ]);
    assert.deepEqual([s.only, s.purpose, s.collapse], ['all', undefined, true]);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /^topics: is empty/],
      [{ topics: 'x' }, /^topics: must be a list/],
      [{ topics: [{ kind: 'queue', id: '../x' }] }, /^topics\[0\]\.id: must be a Genesys id/],
      [{ topics: [{ kind: 'skill', id: Q }] }, /^topics\[0\]\.kind: must be one of queue, user, conversation/],
      [{ topics: [{ id: Q }], only: 'some' }, /^only: must be one of all, joins, leaves/],
      [{ topics: [{ id: Q }], collapse: 'yes' }, /^collapse: must be true or false/],
      [{ topics: [{ id: Q }], purpose: 'agent; drop' }, /^purpose: must be a purpose/],
      [{ topics: Array(51).fill({ id: Q }) }, /^topics: holds 51 rows, at most 50/],
    ];
    for (const [raw, re] of bad)
      assert.throws(
        () => parseEventsOptions(raw),
        (e: Error & { code?: string }) => e.code === 'invalid-input' && re.test(e.message),
      );
  });
});

describe('events: from events to results', () => {
  it('every event: an event that changes no state is collapsed; participants normalised', () => {
    const { push, events } = run({ topics: [{ kind: 'queue', id: Q }] });
    const body = conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected'));
    push.send(QT, body);
    push.send(QT, body);
    push.send(QT, conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected', { calls: [{ state: 'connected', held: true }] })));
    assert.equal(events.length, 2);
    assert.equal(events[0].conversationId, C);
    assert.deepEqual(
      events[0].participants!.map((p) => [p.id, p.state, p.live]),
      [
        ['p1', 'connected', true],
        ['p2', 'connected', true],
      ],
    );
    assert.equal(events[1].participants![1].held, true);
  });

  it('collapse off: every event goes out', () => {
    const { push, events } = run({ topics: [{ kind: 'queue', id: Q }], collapse: false });
    const body = conv(leg('p1', 'customer', 'connected'));
    push.send(QT, body);
    push.send(QT, body);
    assert.equal(events.length, 2);
  });

  it('every event with a purpose: only conversations with such a participant, and msg.participants still lists everyone', () => {
    const { push, events } = run({ topics: [{ kind: 'queue', id: Q }], purpose: 'Agent' });
    push.send(QT, conv(leg('p1', 'customer', 'connected'), leg('p3', 'ivr', 'connected')));
    assert.equal(events.length, 0, 'no agent on the call: nothing');
    push.send(QT, conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected')));
    assert.equal(events.length, 1);
    assert.deepEqual(
      events[0].participants!.map((p) => p.id),
      ['p1', 'p2'],
    );
  });

  it('joins: one msg per joiner, once, whichever topic brings the change; old legs at first sight are not joins', () => {
    const { push, events } = run({
      topics: [
        { kind: 'queue', id: Q },
        { kind: 'user', id: U },
      ],
      only: 'joins',
    });
    const fresh = { connectedTime: new Date().toISOString() };
    push.send(QT, conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected', fresh)));
    push.send(UT, conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected', fresh)));
    push.send(
      QT,
      conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected'), leg('p3', 'user', 'alerting', { connectedTime: undefined })),
    );
    push.send(UT, conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'disconnected'), leg('p3', 'user', 'connected')));
    assert.deepEqual(
      events.map((e) => [e.participantId, e.change, e.firstSeen, e.topic]),
      [
        ['p2', 'joined', true, QT],
        ['p3', 'joined', false, QT],
      ],
    );
  });

  it('leaves, with a purpose: only that purpose, once', () => {
    const { push, events } = run({ topics: [{ kind: 'queue', id: Q }], only: 'leaves', purpose: 'Agent' });
    push.send(QT, conv(leg('p1', 'customer', 'connected'), leg('p2', 'agent', 'connected')));
    push.send(QT, conv(leg('p1', 'customer', 'disconnected'), leg('p2', 'agent', 'disconnected')));
    push.send(QT, conv(leg('p1', 'customer', 'terminated'), leg('p2', 'agent', 'terminated')));
    assert.deepEqual(
      events.map((e) => [e.participantId, e.change]),
      [['p2', 'left']],
    );
  });

  it('detail events: start is a join, end a leave; duplicates dropped; purpose by side', () => {
    const { push, events } = run({ topics: [{ kind: 'conversation', id: C }], purpose: 'customer' });
    const t = (e: string) => `v2.detail.events.conversation.${C}.${e}`;
    const body = { conversationId: C, participantId: 'p1', sessionId: 's1', eventTime: 1 };
    push.send(t('customer.start'), body);
    push.send(t('customer.start'), body);
    push.send(t('user.start'), { ...body, participantId: 'p2' });
    push.send(t('customer.end'), { ...body, eventTime: 2 });
    assert.deepEqual(
      events.map((e) => [e.participantId, e.change, e.conversationId]),
      [
        ['p1', 'joined', C],
        ['p1', 'left', C],
      ],
    );
  });

  it('nothing reaches the handlers after close', () => {
    const { push, events, source } = run({ topics: [{ kind: 'queue', id: Q }] });
    const l = push.listeners.get(QT)!;
    source.close();
    assert.equal(push.listeners.size, 0, 'unsubscribed');
    l.pushEvent(QT, conv(leg('p1', 'customer', 'connected')));
    l.pushState('live', 'subscribed');
    assert.equal(events.length, 0);
  });
});
