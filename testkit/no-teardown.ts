// The check every test against the simulator ends with: nothing ever called an endpoint that ends the call
// for everyone. Those are POST /api/v2/conversations/{id}/disconnect, DELETE /api/v2/conversations/{id} and
// PATCH /api/v2/conversations/calls/{id} (with state, it disconnects every party).
import * as assert from 'node:assert/strict';
import type { SimControl } from '../sim';

const TEARDOWN: { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/v2\/conversations\/[^/]+\/disconnect\/?$/ },
  { method: 'DELETE', path: /^\/api\/v2\/conversations\/[^/]+\/?$/ },
  // Any PATCH of the call itself: the simulator's counter counts them all, with state or not.
  { method: 'PATCH', path: /^\/api\/v2\/conversations\/calls\/[^/]+\/?$/ },
];

/** Asserts that the simulator counted no teardown request and that its request log shows none (the log
 * names the request; the counters also cover requests the log has no room for). */
export async function assertNoTeardown(control: Pick<SimControl, 'counters' | 'requests'>): Promise<void> {
  const teardowns = (await control.requests())
    .filter((r) => TEARDOWN.some((t) => r.method === t.method && t.path.test(r.path)))
    .map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(teardowns, [], 'a request that ends the call for everyone reached the simulator');
  const counters = await control.counters();
  assert.deepEqual(counters.teardown, { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 });
}
