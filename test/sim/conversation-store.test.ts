// The store's leg-change hook, the one an API area (the Notification Service) plugs its events into.
import * as assert from 'node:assert/strict';
import { ConversationStore } from '../../sim/conversation-store';
import { conference, CONV, P } from './helpers';

describe('sim: ConversationStore.onLegChange', () => {
  it('tells every listener of each leg change after it is made, and not of seeding', () => {
    const scheduled: (() => void)[] = [];
    const store = new ConversationStore(
      (_ms, fn) => scheduled.push(fn),
      () => 'end-conversation',
    );
    const seen: string[] = [];
    store.onLegChange((c, p) => seen.push(`${c.id === CONV} ${p.id} ${p.state}`));
    store.seed([conference()]);
    assert.deepEqual(seen, []);
    const c = store.find(CONV)!;
    for (const id of [P.agent1, P.agent2, P.sup])
      store.kick(
        c,
        c.participants.find((p) => p.id === id)!,
        0,
      );
    for (const run of scheduled.splice(0)) run();
    // The last removal leaves the customer alone: the policy ends the call for them too.
    assert.deepEqual(seen, [
      `true ${P.agent1} disconnected`,
      `true ${P.agent2} disconnected`,
      `true ${P.sup} disconnected`,
      `true ${P.customer} disconnected`,
    ]);
  });
});
