// Issue 16's acceptance figure for push: 10,000 concurrent awaits on 10,000 conversations at the real budget
// (300 requests/minute), legs ending after the waits started. Every wait must end on output 1 within 5 s of its
// leg's end, on at most 10 channels; the REST requests spent on waiting (channel and subscription requests, and
// the reads that actually went out) are counted per wait, and memory is reported.
//   node dist/bench/run.js --only push [--quick]
import { Report } from './report';
import { seedMany } from '../testkit/fixtures';
import { conferences, helper, loadBenchFlow, settledMemory, sleep } from './kit';
import { forkSim } from './sim-host';
import { mb, ms, summarize } from './stats';

export async function pushScale(report: Report, n = 10_000): Promise<void> {
  const rpm = 300;
  const s = report.section(`6. Push: ${n} concurrent awaits on ${n} conversations, the real budget (${rpm}/min)`, [
    `${n} two-party conversations (customer + agent with a user); one await end msg per agent leg, carrying the leg (so one topic per wait), timeout 600 s; config requestsPerMinute ${rpm}, the simulator's limit ${rpm}/min, push on (the default).`,
    "Once every topic is subscribed, the legs end over 20 s (transitions in the simulator); latency = the output msg's wall time minus the leg's endTime in the simulator.",
    'Requests spent on waiting: what the simulator logged after the msgs were handed over, token grants excluded (channels, subscriptions, reads).',
  ]);
  const sim = await forkSim({ rateLimitPerMinute: rpm });
  try {
    const seeded = await seedMany(
      sim.control,
      Array.from({ length: n }, (_, i) => ({
        participants: [{ purpose: 'customer' }, { purpose: 'agent', userId: `a0000000-0000-4000-8000-${String(i).padStart(12, '0')}` }],
      })),
      500,
    );
    const legs = seeded.map((c: any) => ({ cid: c.id as string, pid: c.participants[1].id as string, userId: c.participants[1].userId as string }));
    const collector = await loadBenchFlow(sim, [{ id: 'await', type: 'genesys-await-terminal', timeout: 600, wires: [['out1'], ['out2']] }], rpm);
    const outAt = new Map<string, { port: string; at: number; via: string }>();
    let duplicates = 0;
    collector.onOutcome = (o) => {
      const cid = o.msg.payload?.conversationId ?? o.msg.conversationId;
      if (outAt.has(cid)) duplicates++;
      outAt.set(cid, { port: o.port, at: Date.now(), via: o.msg.payload?.via });
    };
    const push = helper.getNode('cfg').connection.client.notifications;
    const m0 = await settledMemory();
    const log0 = (await sim.control.requests()).length;
    const t0 = Date.now();
    for (const l of legs) {
      helper.getNode('await').receive({
        conversationId: l.cid,
        participantId: l.pid,
        payload: { participantId: l.pid, participant: { purpose: 'agent', userId: l.userId } },
      });
    }
    report.figure(s, 'time to hand over all msgs', ms(Date.now() - t0));
    const topicsOf = (cid: string) => `v2.detail.events.conversation.${cid}.user.end`;
    while (legs.some((l) => push.state(topicsOf(l.cid)) !== 'live')) await sleep(100);
    report.figure(s, 'time until every topic is live', ms(Date.now() - t0));
    const m1 = await settledMemory();
    report.figure(
      s,
      'held while waiting (heapUsed + external growth, after gc)',
      `${mb(m1.heapUsed - m0.heapUsed + m1.external - m0.external)} = ${((m1.heapUsed - m0.heapUsed + m1.external - m0.external) / n / 1024).toFixed(2)} KB per await`,
    );
    report.figure(s, 'rss growth (after gc)', mb(m1.rss - m0.rss));

    // The legs end over 20 s.
    const ends = legs.map((l, i) => ({
      conversationId: l.cid,
      participantId: l.pid,
      state: 'disconnected',
      afterMs: 500 + (i % 40) * 500,
      disconnectType: 'client',
    }));
    for (let i = 0; i < ends.length; i += 200) await Promise.all(ends.slice(i, i + 200).map((t) => sim.control.transition(t)));
    const deadline = Date.now() + 120_000;
    while (outAt.size < n && Date.now() < deadline) await sleep(200);
    await sleep(1_000); // a late duplicate would come out meanwhile
    const states = await sim.control.listConversations();
    const endOf = new Map(states.map((c: any) => [c.id, Date.parse(c.participants[1].endTime)]));
    const latencies: number[] = [];
    let out1 = 0;
    let viaPush = 0;
    for (const l of legs) {
      const o = outAt.get(l.cid);
      if (!o) continue;
      if (o.port === 'out1') out1++;
      if (o.via === 'push') viaPush++;
      latencies.push(o.at - (endOf.get(l.cid) ?? o.at));
    }
    const lat = summarize(latencies);
    const log = (await sim.control.requests()).slice(log0).filter((r: any) => r.path.startsWith('/api/'));
    const channels = log.filter((r: any) => r.method === 'POST' && r.path === '/api/v2/notifications/channels').length;
    const subs = log.filter((r: any) => r.path.includes('/subscriptions')).length;
    const reads = log.filter((r: any) => r.method === 'GET' && r.path.startsWith('/api/v2/conversations/')).length;
    const other = log.length - channels - subs - reads;
    report.figure(s, 'outputs / on output 1 / via push / duplicates', `${outAt.size} / ${out1} / ${viaPush} / ${duplicates}`);
    report.figure(s, 'latency after the leg ended: p50 / p90 / max', `${ms(lat.p50)} / ${ms(lat.p90)} (p90) / ${ms(lat.max)}`);
    report.figure(s, 'channels created / subscription requests / reads / other API requests', `${channels} / ${subs} / ${reads} / ${other}`);
    report.figure(s, 'requests spent on waiting per wait', ((channels + subs + reads) / n).toFixed(3));
    report.goal(s, {
      goal: `every wait ends on output 1 within 5 s of its leg's end, on at most 10 channels`,
      met: out1 === n && duplicates === 0 && lat.max <= 5_000 && channels <= 10,
      measured: `${out1}/${n} on output 1, max ${ms(lat.max)}, ${channels} channels`,
      limit: 'the events carry the load; reads are the lowest priority (only when the budget has room)',
    });
    const u0 = Date.now();
    await helper.unload();
    report.figure(s, 'redeploy (stop flows) time', ms(Date.now() - u0));
    let connected = -1;
    for (let i = 0; i < 50 && connected !== 0; i++) {
      connected = (await sim.control.notifications.state()).channels.filter((c) => c.connected).length;
      if (connected) await sleep(100);
    }
    report.figure(s, 'sockets still connected after the redeploy', String(connected));
    collector.close();
  } finally {
    await sim.close();
  }
}

/**
 * Issue 16's first acceptance figure: a guarded kick with confirm, push against polling. Whole blocks alternate
 * (push, poll, push, poll...), each a fresh flow and config node (so each push block pays its channel), each
 * block `perBlock` kicks at once on their own conferences whose target leg ends 200 ms after the PATCH.
 */
export async function pushConfirm(report: Report, blocks = 3, perBlock = 50): Promise<void> {
  const s = report.section('7. Confirmed kicks: push against polling', [
    `${blocks} blocks per series, alternating (push, poll, push, ...); a block is ${perBlock} guarded kicks with confirm sent at once through Node-RED, one per four-party conference, on a fresh flow (the push block creates its channel).`,
    "Latency: the output msg's wall time minus the leg's endTime in the simulator (the simulator ends a leg 200 ms after its PATCH). Requests: what the simulator logged during the block, token grants excluded.",
  ]);
  const sim = await forkSim({ rateLimitPerMinute: 1_000_000, disconnectDelayMs: 200 });
  type Series = { name: string; usePush: boolean; lat: number[]; requests: number; afterPatch: number; viaPush: number; timeouts: number };
  const series: Series[] = [
    { name: 'push', usePush: true, lat: [], requests: 0, afterPatch: 0, viaPush: 0, timeouts: 0 },
    { name: 'poll', usePush: false, lat: [], requests: 0, afterPatch: 0, viaPush: 0, timeouts: 0 },
  ];
  try {
    for (let b = 0; b < blocks * series.length; b++) {
      const x = series[b % series.length];
      const collector = await loadBenchFlow(
        sim,
        [{ id: 'kick', type: 'genesys-disconnect-participant', confirm: true, confirmTimeout: 30, wires: [['out1']] }],
        1_000_000,
        { usePush: x.usePush },
      );
      const list = await conferences(sim, perBlock);
      const log0 = (await sim.control.requests()).length;
      const outAt = new Map<string, number>();
      collector.onOutcome = (o) => outAt.set(o.msg.conversationId, Date.now());
      for (const c of list) helper.getNode('kick').receive({ conversationId: c.cid, participantId: c.pid });
      await collector.waitFor(perBlock, 60_000);
      collector.close();
      const log = (await sim.control.requests()).slice(log0).filter((r: any) => r.path.startsWith('/api/'));
      x.requests += log.length;
      const patched = new Set<string>();
      for (const r of log) {
        const cid = /^\/api\/v2\/conversations\/([^/]+)/.exec(r.path)?.[1];
        if (!cid) continue;
        if (r.method === 'PATCH') patched.add(cid);
        else if (r.method === 'GET' && patched.has(cid)) x.afterPatch++;
      }
      const states = new Map((await sim.control.listConversations()).map((c: any) => [c.id, c]));
      for (const o of collector.outcomes) {
        if (o.port !== 'out1') {
          x.timeouts++;
          continue;
        }
        if (o.msg.payload?.confirmed?.via === 'push') x.viaPush++;
        const end = Date.parse((states.get(o.msg.conversationId) as any).participants[1].endTime);
        x.lat.push(outAt.get(o.msg.conversationId)! - end);
      }
    }
    await helper.unload();
    const n = blocks * perBlock;
    for (const x of series) {
      const l = summarize(x.lat);
      report.figure(
        s,
        `${x.name}: latency p50 / p90 / max; confirmed via push; requests per kick; reads after the PATCH per kick; not confirmed`,
        `${ms(l.p50)} / ${ms(l.p90)} / ${ms(l.max)}; ${x.viaPush} of ${n}; ${(x.requests / n).toFixed(2)}; ${(x.afterPatch / n).toFixed(2)}; ${x.timeouts}`,
      );
    }
    const push = summarize(series[0].lat);
    const poll = summarize(series[1].lat);
    report.figure(s, 'ratio push / poll latency, p50', (push.p50 / Math.max(1, poll.p50)).toFixed(3));
    report.goal(s, {
      goal: 'a confirmed kick with push: output within 200 ms of the leg ending at p50, no REST read after the PATCH',
      met: push.p50 <= 200 && series[0].afterPatch === 0 && series[0].viaPush === n,
      measured: `p50 ${ms(push.p50)} (polling ${ms(poll.p50)}), ${series[0].afterPatch} reads after a PATCH, ${series[0].viaPush} of ${n} by push`,
      limit: 'The event arrives as the simulator ends the leg; the msg then goes out without a read.',
    });
  } finally {
    await sim.close();
  }
}
