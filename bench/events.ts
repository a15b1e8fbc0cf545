// Issue 13's latency figure: a queue's conversation events through genesys-events, from a participant joining
// to the msg on output 1. Sequential joins, each on its own conference on the queue, after one warm-up join.
//   npm run bench -- events
import { Report } from './report';
import { seedMany } from '../testkit/fixtures';
import { Collector, helper, loadBenchFlow } from './kit';
import { forkSim } from './sim-host';
import { ms, summarize } from './stats';

const QUEUE = 'd0000001-0000-4000-8000-0000000000e1';

export async function eventsLatency(report: Report, n = 200): Promise<void> {
  const s = report.section('8. Events: a participant joins a queue conversation -> genesys-events output', [
    `${n} joins, one at a time, each on its own three-party conference on one queue (a customer and two agents on the queue); the node subscribes the queue's conversations topic, push on (the default), "every event" mode.`,
    "Latency: from just before the simulator's control API is asked to add the participant (which also publishes the event) to the msg on output 1: an upper bound, since it includes that control request's round trip.",
  ]);
  const sim = await forkSim({ rateLimitPerMinute: 1_000_000 });
  try {
    const convs = await seedMany(
      sim.control,
      Array.from({ length: n + 1 }, () => ({
        participants: [
          { purpose: 'customer', address: 'tel:+15550100' },
          { purpose: 'agent', userId: 'a1000000-0000-4000-8000-0000000000a1', queueId: QUEUE },
          { purpose: 'agent', userId: 'a1000000-0000-4000-8000-0000000000a2', queueId: QUEUE },
        ],
      })),
    );
    const collector: Collector = await loadBenchFlow(
      sim,
      [{ id: 'events', type: 'genesys-events', topics: [{ kind: 'queue', id: QUEUE, idType: 'str' }], wires: [['out1'], ['out2']] }],
      1_000_000,
    );
    // Output 2 says when the topic is subscribed.
    const subscribedBy = Date.now() + 30_000;
    while (!collector.outcomes.some((o) => o.port === 'out2' && o.msg.topic === 'subscribed') && Date.now() < subscribedBy) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const lat: number[] = [];
    let missing = 0;
    for (let i = 0; i <= n; i++) {
      const cid = convs[i].id;
      let arrived: (() => void) | undefined;
      const seen = new Promise<void>((resolve) => (arrived = resolve));
      let at = 0;
      collector.onOutcome = (o) => {
        if (o.port === 'out1' && o.msg.conversationId === cid && at === 0) {
          at = performance.now();
          arrived!();
        }
      };
      const t0 = performance.now();
      await sim.control.join(cid, { purpose: 'agent', userId: 'a1000000-0000-4000-8000-000000000001' });
      const timeout = new Promise<void>((r) => setTimeout(r, 5_000).unref());
      await Promise.race([seen, timeout]);
      if (at === 0) missing++;
      else if (i > 0) lat.push(at - t0); // the first join warms the path
    }
    collector.close();
    await helper.unload();
    const l = summarize(lat);
    report.figure(s, 'events out / joins (warm-up excluded) / missing', `${lat.length} / ${n} / ${missing}`);
    report.figure(s, 'latency p50 / p90 / max', `${ms(l.p50)} / ${ms(l.p90)} / ${ms(l.max)}`);
    report.goal(s, {
      goal: 'a join on a subscribed queue gives its msg within 200 ms (p50), none missing',
      met: l.p50 <= 200 && missing === 0,
      measured: `p50 ${ms(l.p50)}, max ${ms(l.max)}, ${missing} missing`,
      limit: 'The simulator publishes the event as the join happens; the node normalises the participants and sends.',
    });
  } finally {
    await sim.close();
  }
}
