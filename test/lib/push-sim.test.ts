// Push against the simulator's Notification Service over real sockets (issue 16 acceptance, lib side): a
// confirmed kick learns the end by push with no read after its PATCH; standalone waits end by events; a dropped
// socket, socket_closing, an expired channel and lost events still end every wait (re-read after the reconnect,
// or the safety sweep); a Rejected topic polls and says so; a closed client leaves no socket or timer.
// Count-based: what the simulator logged and what the waits answered, never how long they took.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { awaitTerminal, type AwaitResult } from '../../lib/conversation/await-terminal';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { kickParticipant } from '../../lib/conversation/kick';
import { KickLedger } from '../../lib/conversation/kick-ledger';
import { topicOf, USER_END } from '../../lib/conversation/leg-events';
import { GenesysClient } from '../../lib/platform/client';
import { GenesysError } from '../../lib/platform/errors';
import { USER_A, USER_B } from '../../testkit/fixtures';
import { useSimulatorClient } from '../support/sim-session';
import { until } from '../support/until';
import { simClient } from '../../testkit/sim-client';

const AGENT = { purpose: 'agent', userId: USER_A };

describe('push against the simulator (lib)', function () {
  this.timeout(60_000);
  const ctx = useSimulatorClient();
  let client: GenesysClient;
  let reader: ConversationReader;

  beforeEach(() => {
    client = simClient(ctx.sim.url, {
      notifications: { enabled: true, timing: { reconnectBaseMs: 20, reconnectMaxMs: 200, failuresBeforeCheck: 2 } },
    });
    reader = new ConversationReader(client);
  });
  afterEach(async () => {
    await client.close();
  });

  async function conversations(n: number): Promise<{ cid: string; pid: string }[]> {
    const out = [];
    for (let i = 0; i < n; i++) {
      const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, AGENT, { purpose: 'agent', userId: USER_B }]);
      out.push({ cid, pid: ids[1] });
    }
    return out;
  }

  const live = (cid: string) => client.notifications.state(topicOf(cid, USER_END)) === 'live';
  const end = (c: { cid: string; pid: string }) =>
    ctx.sim.control.transition({ conversationId: c.cid, participantId: c.pid, state: 'disconnected', disconnectType: 'endpoint' });
  const conversationGets = async (cid: string) => (await ctx.sim.control.requests()).filter((r) => r.method === 'GET' && r.path.includes(cid));

  it('a guarded kick with confirm: the end comes by push, no read after the PATCH', async () => {
    const [c] = await conversations(1);
    const ledger = new KickLedger();
    const r = await kickParticipant({ client, reader, ledger }, { conversationId: c.cid, participantId: c.pid, confirm: true });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(r.confirmed?.via, 'push');
    assert.equal(r.confirmed?.polls, 0);
    const log = await ctx.sim.control.requests();
    const patchAt = log.findIndex((x) => x.method === 'PATCH');
    assert.ok(patchAt > 0);
    assert.deepEqual(
      log.slice(patchAt + 1).filter((x) => x.path.startsWith('/api/v2/conversations')),
      [],
      'nothing read after the PATCH',
    );
    // The subscription was made before the PATCH.
    assert.ok(log.findIndex((x) => x.path.includes('/subscriptions')) < patchAt);
    // The second kick of the same config reuses the channel: read + subscription + PATCH.
    const [c2] = await conversations(1);
    const before = (await ctx.sim.control.requests()).length;
    const r2 = await kickParticipant({ client, reader, ledger }, { conversationId: c2.cid, participantId: c2.pid, confirm: true });
    assert.equal(r2.confirmed?.via, 'push');
    const after = (await ctx.sim.control.requests()).slice(before).filter((x) => x.path.startsWith('/api/'));
    assert.deepEqual(
      after.map((x) => x.method),
      ['GET', 'POST', 'PATCH'],
      'no new channel, no read after the PATCH',
    );
  });

  it('a confirmed kick whose event is lost: its safety read (the booked one) still confirms it', async () => {
    await ctx.sim.control.notifications.loseEvents({ count: 10 });
    const [c] = await conversations(1);
    const r = await kickParticipant({ client, reader, ledger: new KickLedger() }, { conversationId: c.cid, participantId: c.pid, confirm: true });
    assert.equal(r.outcome, 'disconnected');
    assert.equal(r.confirmed?.via, 'poll');
    assert.ok((r.confirmed?.polls ?? 0) >= 1);
  });

  it('standalone waits end by the event, each with at most its one first read', async () => {
    const cs = await conversations(5);
    const waits = cs.map((c) => awaitTerminal(reader, { conversationId: c.cid, participantId: c.pid, leg: AGENT, timeoutMs: 30_000 }));
    await until(() => cs.every((c) => live(c.cid)), 'every topic live');
    for (const c of cs) await end(c);
    const results = await Promise.all(waits);
    for (const r of results) {
      assert.equal(r.timedOut, false);
      assert.equal(r.via, 'push');
      assert.match(r.state, /disconnected|terminated/);
      assert.ok(r.polls <= 2, `${r.polls} reads`);
    }
    assert.equal((await ctx.sim.control.notifications.state()).channels.length, 1);
  });

  it('a leg that ended before the wait: found by the first read (via poll)', async () => {
    const [c] = await conversations(1);
    await end(c);
    await until(async () => (await ctx.state(c.cid)).participants[1].state !== 'connected', 'ended');
    const r = await awaitTerminal(reader, { conversationId: c.cid, participantId: c.pid, leg: AGENT, timeoutMs: 30_000 });
    assert.equal(r.timedOut, false);
    assert.equal(r.via, 'poll');
  });

  it('a whole-conversation wait subscribes both topics and ends when the last leg ends', async () => {
    const { cid, ids } = await ctx.seed([{ purpose: 'customer' }, AGENT]);
    const w = awaitTerminal(reader, { conversationId: cid, waitFor: 'conversation', timeoutMs: 30_000 });
    await until(() => live(cid) && client.notifications.state(topicOf(cid, 2)) === 'live', 'both live');
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[0], state: 'disconnected' });
    // One leg's event: a read, which shows the conversation still going; the second leg ends it.
    await until(async () => (await conversationGets(cid)).length >= 2, 'the read after the first event');
    await ctx.sim.control.transition({ conversationId: cid, participantId: ids[1], state: 'disconnected' });
    const r = await w;
    assert.equal(r.timedOut, false);
    assert.ok(r.endedAt);
    assert.equal(r.via, 'push');
  });

  /** Waits on n conversations, all live; then `fault`; then every leg ends: every wait must end, once, ended. */
  async function survives(fault: (channelId: string) => Promise<void>, n = 4): Promise<AwaitResult[]> {
    const cs = await conversations(n);
    const waits = cs.map((c) => awaitTerminal(reader, { conversationId: c.cid, participantId: c.pid, leg: AGENT, timeoutMs: 40_000 }));
    await until(() => cs.every((c) => live(c.cid)), 'every topic live');
    const [channel] = (await ctx.sim.control.notifications.state()).channels;
    await fault(channel.id);
    for (const c of cs) await end(c);
    const results = await Promise.all(waits);
    results.forEach((r, i) => {
      assert.equal(r.timedOut, false, `wait ${i} timed out`);
      assert.equal(r.participantId, cs[i].pid);
      assert.match(r.state, /disconnected|terminated/);
    });
    return results;
  }

  it('a dropped socket: every wait still ends', async () => {
    await survives((id) => ctx.sim.control.notifications.dropSocket(id));
  });

  it('socket_closing: every wait still ends, on the same channel', async () => {
    await survives((id) => ctx.sim.control.notifications.socketClosing(id));
    assert.ok(client.notifications.counters.reconnects >= 1);
    assert.equal(client.notifications.counters.channelsCreated, 1);
  });

  it('an expired channel: a new one, and every wait still ends', async () => {
    await survives((id) => ctx.sim.control.notifications.expireChannel(id));
    await until(() => client.notifications.counters.channelsCreated === 2, 'a new channel');
  });

  it('a channel near its expiry is renewed without a gap: the waits end by push, with no re-read', async () => {
    await ctx.sim.control.notifications.setOptions({ channelLifetimeMs: 3_000 }); // renewed at 90% of its life
    const cs = await conversations(3);
    const waits = cs.map((c) => awaitTerminal(reader, { conversationId: c.cid, participantId: c.pid, leg: AGENT, timeoutMs: 30_000 }));
    await until(() => cs.every((c) => live(c.cid)), 'every topic live');
    // A listener of its own on one of the topics sees every state change the waits see.
    const states: string[] = [];
    client.notifications.subscribe(topicOf(cs[0].cid, USER_END), { pushEvent: () => undefined, pushState: (st) => void states.push(st) });
    await until(() => client.notifications.counters.channelsCreated === 2 && client.notifications.status().channels === 1, 'renewed', 15_000);
    for (const c of cs) await end(c);
    for (const r of await Promise.all(waits)) assert.equal(r.via, 'push');
    assert.deepEqual(states, [], 'never unavailable, so no re-read was owed');
  });

  it('lost events: the safety sweep ends every wait (via poll)', async () => {
    await ctx.sim.control.notifications.loseEvents({ count: 100 });
    const results = await survives(async () => undefined, 3);
    assert.ok(results.every((r) => r.via === 'poll'));
  });

  it('a Rejected topic: the wait polls, and says why', async () => {
    await ctx.sim.control.notifications.rejectTopic({
      topic: 'v2.detail.events.conversation.{id}.user.end',
      missingPermissions: ['analytics:conversationDetail:view'],
    });
    const [c] = await conversations(1);
    const w = awaitTerminal(reader, { conversationId: c.cid, participantId: c.pid, leg: AGENT, timeoutMs: 30_000 });
    await until(async () => (await conversationGets(c.cid)).length >= 1, 'a poll');
    await end(c);
    const r = await w;
    assert.equal(r.timedOut, false);
    assert.equal(r.via, 'poll');
    assert.match(r.pushUnavailable ?? '', /analytics:conversationDetail:view/);
    assert.equal(client.notifications.status().state, 'unavailable');
  });

  it('close: the waits end cancelled, the socket closes', async () => {
    const cs = await conversations(3);
    const waits = cs.map((c) =>
      awaitTerminal(reader, { conversationId: c.cid, participantId: c.pid, leg: AGENT, timeoutMs: 30_000 }).catch((e: unknown) => e),
    );
    await until(() => cs.every((c) => live(c.cid)), 'every topic live');
    await client.close();
    for (const e of await Promise.all(waits)) assert.ok(e instanceof GenesysError && e.code === 'cancelled');
    await until(async () => (await ctx.sim.control.notifications.state()).channels.every((ch) => !ch.connected), 'no socket');
  });

  it('a process whose client closes exits by itself: no socket or timer left', async () => {
    const [c] = await conversations(1);
    const dist = path.resolve(__dirname, '../../lib');
    const script = `
      const { GenesysClient } = require(${JSON.stringify(path.join(dist, 'platform/client.js'))});
      const { ConversationReader } = require(${JSON.stringify(path.join(dist, 'conversation/conversation-reader.js'))});
      const { awaitTerminal } = require(${JSON.stringify(path.join(dist, 'conversation/await-terminal.js'))});
      const { topicOf } = require(${JSON.stringify(path.join(dist, 'conversation/leg-events.js'))});
      const url = process.env.SIM_URL;
      const client = new GenesysClient({ region: 'custom', apiBaseUrl: url, authBaseUrl: url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret', usePush: true });
      const reader = new ConversationReader(client);
      const w = awaitTerminal(reader, { conversationId: process.env.CID, participantId: process.env.PID, leg: { userId: 'u' }, timeoutMs: 600000 }).catch((e) => e.code);
      const check = setInterval(() => {
        if (client.notifications.state(topicOf(process.env.CID, 1)) !== 'live') return;
        clearInterval(check);
        client.close().then(() => w).then((code) => console.log('closed', code));
      }, 10);
    `;
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, SIM_URL: ctx.sim.url, CID: c.cid, PID: c.pid },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const kill = setTimeout(() => child.kill(), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c2) => resolve(c2)));
    clearTimeout(kill);
    assert.equal(code, 0, 'exited by itself (not killed)');
    assert.match(out, /closed cancelled/);
  });
});
