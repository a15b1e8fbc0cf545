// The five benchmarks. Each prints its figures as it measures them (Report.figure) and records its goals.
import { performance } from 'node:perf_hooks';
import { forkSim } from './sim-host';
import { PlainClient, conferences, helper, loadBenchFlow, plainPatchNodeType, settledMemory, sleep } from './kit';
import { Report } from './report';
import { ConversationReader, type GenesysError, KickLedger, kickParticipant } from '../lib';
import { balancedOrders, mb, ms, summarize } from './stats';
import { simClient } from '../testkit/sim-client';

const HIGH_LIMIT = 1_000_000;
/** A turn longer than this counts as blocking the runtime in the redeploy figures. */
const BLOCKED_TURN_MS = 2;

// ---------------------------------------------------------------------------------------------------------
// 1. Overhead of a kick through Node-RED vs the same requests with plain undici and with the official SDK.

type Kick = { cid: string; pid: string };

interface Series {
  name: string;
  /** The requests a kick of this series must make (the minimum for its pattern). */
  pattern: 'PATCH' | 'GET + PATCH';
  one(c: Kick): Promise<void>;
}

/** The official JavaScript SDK pointed at the simulator (as test/sim/sdk.test.ts does), logged in once. */
async function officialSdk(
  url: string,
): Promise<{ get(cid: string): Promise<unknown>; patch(cid: string, pid: string): Promise<unknown>; close(): void }> {
  const platformClient = require('purecloud-platform-client-v2');
  const client = platformClient.ApiClient.instance;
  const u = new URL(url);
  client.setGateway({ host: u.hostname, protocol: 'http', port: Number(u.port) });
  await client.loginClientCredentialsGrant('sim-client-id', 'sim-client-secret');
  const api = new platformClient.ConversationsApi();
  return {
    get: (cid) => api.getConversation(cid),
    patch: (cid, pid) => api.patchConversationParticipant(cid, pid, { state: 'disconnected' }),
    close: () => client.setGateway(undefined),
  };
}

export async function overhead(report: Report, n = 1000, runs = 3): Promise<void> {
  // 300 rounds: with 100, the first of three quick runs had the highest ratios, again and again (our path has
  // more code for V8 to optimise than a plain request); every series gets the same warm-up. Even with 300 the
  // first run stayed the highest in every full run (1.32-1.36 against 1.23-1.27 for the next two): one whole
  // run, measured the same way and reported apart, comes first and is left out of the ratios.
  const warm = 300;
  const s = report.section('1. Overhead: a kick through Node-RED vs plain undici and the official SDK', [
    `One warm-up run (reported as run 0, not counted), then ${runs} runs; in each, ${warm} warm-up rounds then ${n} measured rounds. A round is one kick of every series, in a balanced order (a Williams design, bench/stats.ts ` +
      'balancedOrders: over each cycle of rows every series runs right after every other equally often; a rotation by one, used before, kept each series behind the same ' +
      "predecessor, which flattered the node's ratios by about 0.05); each kick on its own 4-party conference. Ratios are p50 against p50 of the same run; the spread is over the runs.",
    'Node-RED flow (in-process, node-red-node-test-helper with its sinon spies removed from the prototype and from every node instance): msg -> genesys-disconnect-participant -> helper node; ' +
      'time from node.receive(msg) to the msg arriving at the helper node (one plain listener on the helper node resolves the kick: no timer per kick, no msg kept). ' +
      "Node-RED's floor: the same flow with a bare node (bench/kit.ts plainPatchNodeType) making the plain undici PATCH: what any node pays for Node-RED passing the msg in and out.",
    "Plain undici: `agent.request({ origin, path })` on a keep-alive Agent to the same simulator (undici's usual request API in its faster form: the top-level `request(url)` measured ~15% slower per PATCH; our transport uses the lower-level `dispatch`, bench note below), token fetched once, no validation/limiter/retry; the GET's JSON parsed, the PATCH's body read. " +
      'Official SDK: `purecloud-platform-client-v2` (`ConversationsApi.getConversation`, `patchConversationParticipant`), logged in once, its gateway set to the simulator.',
    'Simulator in its own process (bench/sim-host.ts), no added latency, rate limit out of the way (1,000,000/min), config requestsPerMinute 1,000,000.',
    'Fast path: participantId given, refuse-customer and keep-call-alive off: one PATCH. Guarded (the default): one GET + one PATCH.',
    'Requests per kick: counted by the simulator (its apiRequests counter read before and after each of 50 more kicks per series, untimed).',
  ]);
  const sim = await forkSim({ rateLimitPerMinute: HIGH_LIMIT });
  const plain = new PlainClient(sim.url);
  const sdk = await officialSdk(sim.url);
  try {
    await plain.grant();
    const collector = await loadBenchFlow(
      sim,
      [
        { id: 'fast', type: 'genesys-disconnect-participant', refuseCustomer: false, keepCallAlive: false, wires: [['out1']] },
        { id: 'guarded', type: 'genesys-disconnect-participant', wires: [['out1']] },
        { id: 'floor', type: 'bench-plain-patch', wires: [['out1']] },
      ],
      HIGH_LIMIT,
      {},
      [plainPatchNodeType(plain)],
    );
    // The node's series waits for its one outcome and keeps nothing: no timer per kick (one watchdog for
    // all), no list of every msg (a baseline kick keeps nothing either; thousands of msgs held would be
    // garbage-collector work on our side only), and one plain listener on each helper node, as lean as the
    // baseline's own await (the test kit's collector keeps lists for tests to read: harness work, not ours).
    collector.close();
    let waiting: { since: number; resolve: () => void; reject: (err: Error) => void } | undefined;
    const settle = (err?: Error) => {
      const w = waiting;
      waiting = undefined;
      if (err) w?.reject(err);
      else w?.resolve();
    };
    const out1 = helper.getNode('out1');
    const caught = helper.getNode('caughtOut');
    const onOut1 = (msg: any) => settle(msg.payload?.outcome === 'disconnected' ? undefined : new Error(`kick: ${JSON.stringify(msg.payload)}`));
    const onCaught = (msg: any) => settle(new Error(`kick failed: ${JSON.stringify(msg.error)}`));
    out1.on('input', onOut1);
    caught.on('input', onCaught);
    const watchdog = setInterval(() => {
      if (waiting && performance.now() - waiting.since > 30_000) settle(new Error('no outcome within 30 s'));
    }, 5_000);
    watchdog.unref();
    const viaNode = (id: string) => {
      const node = helper.getNode(id); // looked up once: the lookup is the harness's, not the kick's
      return (c: Kick) =>
        new Promise<void>((resolve, reject) => {
          waiting = { since: performance.now(), resolve, reject };
          node.receive({ conversationId: c.cid, participantId: c.pid });
        });
    };
    const expect = (what: string, status: number, want: number) => {
      if (status !== want) throw new Error(`${what} answered ${status}`);
    };
    const series: Series[] = [
      { name: 'plain undici PATCH', pattern: 'PATCH', one: async (c) => expect('PATCH', (await plain.patch(c.cid, c.pid)).status, 202) },
      {
        name: 'plain undici GET + PATCH',
        pattern: 'GET + PATCH',
        one: async (c) => {
          expect('GET', (await plain.get(c.cid)).status, 200);
          expect('PATCH', (await plain.patch(c.cid, c.pid)).status, 202);
        },
      },
      { name: "Node-RED's floor: a bare node making the plain PATCH", pattern: 'PATCH', one: viaNode('floor') },
      { name: 'node, fast path', pattern: 'PATCH', one: viaNode('fast') },
      { name: 'node, guarded', pattern: 'GET + PATCH', one: viaNode('guarded') },
      {
        name: 'official SDK patchConversationParticipant',
        pattern: 'PATCH',
        one: async (c) => {
          await sdk.patch(c.cid, c.pid);
        },
      },
      {
        name: 'official SDK getConversation + patchConversationParticipant',
        pattern: 'GET + PATCH',
        one: async (c) => {
          await sdk.get(c.cid);
          await sdk.patch(c.cid, c.pid);
        },
      },
    ];
    const k = series.length;
    const orders = balancedOrders(k);
    const p50s: number[][] = series.map(() => []);
    const p99s: number[][] = series.map(() => []);
    for (let run = -1; run < runs; run++) {
      const kicks = await conferences(sim, (warm + n) * k);
      const times: number[][] = series.map(() => []);
      for (let round = 0; round < warm + n; round++) {
        const order = orders[round % orders.length];
        for (let j = 0; j < k; j++) {
          const which = order[j];
          const c = kicks[round * k + which];
          const t0 = performance.now();
          await series[which].one(c);
          if (round >= warm) times[which].push(performance.now() - t0);
        }
      }
      const sums = times.map((t) => summarize(t));
      const line = series.map((x, i) => `${x.name} ${ms(sums[i].p50)}`).join('; ');
      if (run < 0) {
        report.figure(s, 'run 0 (warm-up, not counted): p50 per series', line);
        continue;
      }
      sums.forEach((sum, i) => {
        p50s[i].push(sum.p50);
        p99s[i].push(sum.p99);
      });
      report.figure(s, `run ${run + 1}: p50 per series`, line);
    }
    // Requests per kick, counted by the simulator.
    const counted = await conferences(sim, 50 * k);
    const perKick = series.map(() => [] as number[]);
    for (let i = 0; i < counted.length; i++) {
      const which = i % k;
      const before = (await sim.control.counters()).apiRequests;
      await series[which].one(counted[i]);
      perKick[which].push((await sim.control.counters()).apiRequests - before);
    }
    out1.removeListener('input', onOut1);
    caught.removeListener('input', onCaught);
    clearInterval(watchdog);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const spread = (xs: number[]) => `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`;
    series.forEach((x, i) => {
      const req = summarize(perKick[i]);
      const minimum = x.pattern === 'PATCH' ? 1 : 2;
      report.figure(
        s,
        `${x.name}: p50 (median of runs, spread) / p99 (median) / requests per kick (min ${minimum})`,
        `${ms(median(p50s[i]))} (${spread(p50s[i])}) / ${ms(median(p99s[i]))} / ${req.mean.toFixed(2)} (max ${req.max})`,
      );
    });
    /** Per-run ratios of series a over series b at p50. */
    const ratios = (a: number, b: number) => p50s[a].map((v, r) => v / p50s[b][r]);
    const show = (rs: number[]) => `${rs.map((r) => r.toFixed(2)).join(' / ')} (runs)`;
    const [pPatch, pGetPatch, floor, fast, guarded, sdkPatch, sdkGetPatch] = [0, 1, 2, 3, 4, 5, 6];
    const rFast = ratios(fast, pPatch);
    const rGuarded = ratios(guarded, pGetPatch);
    const rFastSdk = ratios(fast, sdkPatch);
    const rGuardedSdk = ratios(guarded, sdkGetPatch);
    const rFloor = ratios(floor, pPatch);
    report.figure(s, "ratio Node-RED's floor (bare node, plain PATCH) / plain PATCH, p50", show(rFloor));
    report.figure(s, 'ratio fast path / plain PATCH, p50', show(rFast));
    report.figure(s, 'ratio guarded / plain GET + PATCH, p50', show(rGuarded));
    report.figure(s, 'ratio fast path / SDK PATCH, p50', show(rFastSdk));
    report.figure(s, 'ratio guarded / SDK GET + PATCH, p50', show(rGuardedSdk));
    report.figure(s, 'ratio SDK GET + PATCH / plain GET + PATCH, p50', show(ratios(sdkGetPatch, pGetPatch)));
    const minimal = series.every((x, i) => Math.max(...perKick[i]) === (x.pattern === 'PATCH' ? 1 : 2));
    // What the profile of this path showed (issue 11.1; a driver under --cpu-prof, and the same flow with the
    // transport answering in-process to isolate our CPU): see bench/results.md for the figures.
    const floorShare = `${show(rFloor)} of it is Node-RED's own floor (a bare node making the plain PATCH, measured in the same runs)`;
    const limit =
      `Of the ratio, ${floorShare}. The rest is the node's own work around the request, each layer measured by A/B series of variants in one process ` +
      '(balanced order, spread about ±0.01): the TypedInput reads and validation of the msg, the client (limiter, token, retry entry) and the kick (validation, ' +
      'the per-conversation ledger and its memory of accepted legs) cost about 0.01-0.03 each. Three changes took about 0.07 off: the status is painted after the msg ' +
      "has gone on (about 0.02: node.status publishes to every editor), the transport reads the answer through undici's dispatch with its own handler instead of " +
      "request()'s Readable stream and ends requests through one abort listener per signal instead of one per request (about 0.04), and the kick reads its flags " +
      'by name (about 0.01). The first measured run is usually the highest (by 0.01-0.04). Against a real Genesys region (tens of ms per request) the same ' +
      'absolute overhead is well under 1%.';
    report.goal(s, {
      goal: 'fast-path kick p50 <= 1.2x a plain undici PATCH, in every run',
      met: rFast.every((r) => r <= 1.2),
      measured: show(rFast),
      limit,
    });
    report.goal(s, {
      goal: 'guarded kick p50 <= 1.3x a plain undici GET + PATCH (same requests), in every run',
      met: rGuarded.every((r) => r <= 1.3),
      measured: show(rGuarded),
      limit:
        'The guarded kick also books its two requests, validates (zod) and normalises the 2.7 KB conversation before it decides (the plain GET parses the ' +
        'same JSON): ~87 µs of CPU per kick in the hot loop (201 µs before this round: a zod pipe per field, a limiter start log shifted per request). ' +
        limit,
    });
    report.goal(s, {
      goal: 'both faster than the official SDK making the same requests, in every run',
      met: [...rFastSdk, ...rGuardedSdk].every((r) => r < 1),
      measured: `fast ${show(rFastSdk)}; guarded ${show(rGuardedSdk)}`,
      limit: 'The SDK sends through axios (Node http) and builds each request generically; our client sends through one undici pool per config node.',
    });
    report.goal(s, {
      goal: 'each kick makes the minimum requests of its pattern (PATCH: 1, GET + PATCH: 2)',
      met: minimal,
      measured: series.map((x, i) => `${x.name} ${Math.max(...perKick[i])}`).join('; '),
      limit: 'The request pattern itself.',
    });
    s.notes = [
      'Honesty of the comparison: every series makes the same requests (counted by the simulator, above) and reads the same answers (the plain GET parses the ' +
        "JSON, the PATCH's body is read), gets the same warm-up and the same balanced order. The baseline uses undici's usual request API in its faster form " +
        '(agent.request with an origin and a path: the top-level request(url) it used before measured ~15% slower per PATCH and flattered every ratio). Our ' +
        "transport uses undici's lower-level dispatch with its own answer handler (lib/platform/http.ts AnswerReader), which skips request()'s Readable stream: " +
        'that saving is part of what the node series measures (about 0.03-0.04 of the fast path ratio in an A/B of the two in one process). The ' +
        "node's series is timed from receive() to its output by one listener: the collector used before armed a timer per kick and kept every msg, work on our side only.",
      "Profile of the node's kick (issue 11.1): zod pipes (a transform per optional field, ~130 per read of a 4-party conversation) were a third of a guarded " +
        "kick's allocations, now one pass per object; normalising is one pass per participant; the limiter's start log was shifted per request, O(n) with this " +
        "bench's 1,000,000/min budget (tens of thousands of starts in the window: 14 µs per request at 60,000), now O(1); a free slot and a cached token are taken " +
        'without a promise; headers are built once per token. CPU per kick with the transport answering in-process (same flow, hot loop): fast path 25 -> 21 µs, guarded 201 -> 87 µs.',
    ];
    for (const note of s.notes) console.log(`  ${note}`);
  } finally {
    sdk.close();
    await plain.close();
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2. Bulk kicks within a rate limit, vs a naive client.
export async function bulk(report: Report, kicks = 600, limit = 900): Promise<void> {
  const requests = kicks * 2;
  const windows = Math.ceil(requests / limit) - 1;
  const theoretical = windows * 60_000;
  const s = report.section('2. Bulk kicks within a rate limit', [
    `${kicks} guarded kicks (GET + PATCH each: ${requests} requests) sent at once through Node-RED; the simulator's limit and the config's requestsPerMinute both ${limit}/min.`,
    `${requests} requests do not fit one 60 s window of ${limit}: the theoretical minimum is ${windows} window(s) = ${theoretical / 1000} s (the first ${limit} at once, the rest when the window frees).`,
    'Naive clients: plain undici, the same GET + PATCH per kick, all at once, a 429 retried at most 3 times (the approach of public tutorials), once after its Retry-After and once after a fixed 1 s.',
  ]);
  if (windows < 1) throw new Error('the bulk run must need more than one window');

  // Ours.
  {
    const sim = await forkSim({ rateLimitPerMinute: limit });
    try {
      const list = await conferences(sim, kicks);
      const collector = await loadBenchFlow(sim, [{ id: 'kick', type: 'genesys-disconnect-participant', wires: [['out1']] }], limit);
      const t0 = Date.now();
      for (const c of list) helper.getNode('kick').receive({ conversationId: c.cid, participantId: c.pid });
      await collector.waitFor(kicks, 10 * 60_000);
      const wall = Date.now() - t0;
      collector.close();
      const ok = collector.outcomes.filter((o) => o.port === 'out1' && o.msg.payload.outcome === 'disconnected').length;
      const log = await sim.control.requests();
      const late429 = log.filter((r) => r.status === 429 && Date.parse(r.time) > t0 + 1000).length;
      const all429 = log.filter((r) => r.status === 429).length;
      // A 202'd disconnect ends the leg 200 ms later in the simulator: let the last ones land.
      await sleep(1_000);
      const states = await sim.control.listConversations();
      const ended = states.filter((c) => c.participants[1].state === 'disconnected' || c.participants[1].state === 'terminated').length;
      const r = wall / theoretical;
      report.figure(s, 'ours: wall time / theoretical minimum', `${ms(wall)} / ${ms(theoretical)} = ${r.toFixed(3)}x`);
      report.figure(s, 'ours: kicks disconnected (msgs / simulator state)', `${ok} / ${ended} of ${kicks}`);
      report.figure(s, 'ours: 429s (all / after the first second)', `${all429} / ${late429}`);
      report.goal(s, {
        goal: 'wall time <= 1.1x the theoretical minimum',
        met: r <= 1.1,
        measured: `${r.toFixed(3)}x`,
        limit:
          'The 60 s window itself: the client-side sliding window lets request 901 start when the first start leaves it; the rest is the time to send the last requests.',
      });
      report.goal(s, {
        goal: 'zero 429s after the first second, zero lost kicks',
        met: late429 === 0 && ok === kicks && ended === kicks,
        measured: `${late429} late 429s, ${kicks - ok} lost`,
        limit:
          late429 === 0
            ? "The client-side limiter keeps every request inside the simulator's window."
            : 'Client and server windows are not aligned: the limiter records a start when a request leaves its queue, but requests then wait for a ' +
              "pooled connection and reach the simulator up to ~1 s later (and the simulator counts in whole seconds), so at the window's edge a few requests arrive " +
              "while the server window is still full; each got Retry-After 1 and succeeded on retry. The client's 61 s window (a 1 s margin) is meant to prevent exactly this.",
      });
    } finally {
      await sim.close();
    }
  }

  // Ours with confirm: GET + PATCH + confirm read(s) per kick, three times the budget of a window. The confirm
  // timeout (30 s) counts from the 202; a kick books its requests together, so no confirm waits behind new kicks.
  {
    const sim = await forkSim({ rateLimitPerMinute: limit });
    try {
      const list = await conferences(sim, kicks);
      const collector = await loadBenchFlow(
        sim,
        [{ id: 'kick', type: 'genesys-disconnect-participant', confirm: true, confirmTimeout: 30, wires: [['out1']] }],
        limit,
      );
      const t0 = Date.now();
      for (const c of list) helper.getNode('kick').receive({ conversationId: c.cid, participantId: c.pid });
      await collector.waitFor(kicks, 10 * 60_000);
      const wall = Date.now() - t0;
      collector.close();
      const confirmed = collector.outcomes.filter((o) => o.port === 'out1' && o.msg.payload.confirmed).length;
      const timeouts = collector.outcomes.filter((o) => o.port !== 'out1' && o.msg.error?.code === 'timeout').length;
      const requests = (await sim.control.counters()).apiRequests;
      const perKick = requests / kicks;
      report.figure(s, 'ours with confirm: wall time', ms(wall));
      report.figure(s, 'ours with confirm: confirmed / timeouts / requests per confirmed kick', `${confirmed} / ${timeouts} / ${perKick.toFixed(2)}`);
      report.goal(s, {
        goal: `${kicks} guarded kicks with confirm at ${limit}/min: 0 timeouts, at most 3 requests per confirmed kick`,
        met: timeouts === 0 && confirmed === kicks && perKick <= 3,
        measured: `${timeouts} timeouts, ${confirmed} confirmed, ${perKick.toFixed(2)} requests per kick`,
        limit:
          'A kick books its GET, PATCH and first confirm read together; the first confirm read waits 0.5 s after the 202, when the leg has ended.',
      });
    } finally {
      await sim.close();
    }
  }

  // Naive clients, as found in public tutorials: retry a 429 at most 3 times, then give up. One waits the
  // Retry-After Genesys sends; the other (the more common copy-paste) sleeps a fixed second.
  await naiveBulk(report, s, kicks, limit, theoretical, 'naive (honours Retry-After)', (retryAfter) => (retryAfter ?? 1) * 1000);
  await naiveBulk(report, s, kicks, limit, theoretical, 'naive (fixed 1 s)', () => 1000);
  await sdkBulk(report, s, kicks, limit, theoretical);
  s.notes = [
    "The naive client that honours Retry-After loses nothing here because the simulator's Retry-After for its own limit is exact (seconds until " +
      'the window frees); it costs rejected requests that Genesys counts. The one with a fixed delay gives up on every request the window refuses.',
  ];
  console.log(`  ${s.notes[0]}`);
}

async function naiveBulk(
  report: Report,
  s: ReturnType<Report['section']>,
  kicks: number,
  limit: number,
  theoretical: number,
  label: string,
  delayMs: (retryAfter: number | undefined) => number,
): Promise<void> {
  const sim = await forkSim({ rateLimitPerMinute: limit });
  const plain = new PlainClient(sim.url);
  try {
    const list = await conferences(sim, kicks);
    await plain.grant();
    let gaveUp = 0;
    let errors = 0;
    const withRetry = async <T extends { status: number; retryAfter?: number }>(fn: () => Promise<T>): Promise<T> => {
      let r = await fn();
      for (let i = 0; i < 3 && r.status === 429; i++) {
        await sleep(delayMs(r.retryAfter));
        r = await fn();
      }
      return r;
    };
    const t0 = Date.now();
    await Promise.all(
      list.map(async (c) => {
        try {
          const g = await withRetry(() => plain.get(c.cid));
          if (g.status !== 200) {
            gaveUp++;
            return;
          }
          const p = await withRetry(() => plain.patch(c.cid, c.pid));
          if (p.status !== 202) gaveUp++;
        } catch {
          errors++;
        }
      }),
    );
    const wall = Date.now() - t0;
    const log = await sim.control.requests();
    const all429 = log.filter((r) => r.status === 429).length;
    report.figure(s, `${label}: wall time`, `${ms(wall)} (${(wall / theoretical).toFixed(3)}x the minimum)`);
    report.figure(s, `${label}: kicks lost (gave up after 3 retries / errors)`, `${gaveUp + errors} of ${kicks} (${gaveUp} / ${errors})`);
    report.figure(s, `${label}: 429s received`, String(all429));
  } finally {
    await plain.close();
    await sim.close();
  }
}

/**
 * The official JavaScript SDK as a flow would use it: getConversation + patchConversationParticipant per kick,
 * all at once. The SDK retries nothing itself (no 429 handling in purecloud-platform-client-v2's ApiClient),
 * so every request the window refuses is a lost kick unless the flow writes its own retry.
 */
async function sdkBulk(report: Report, s: ReturnType<Report['section']>, kicks: number, limit: number, theoretical: number): Promise<void> {
  const sim = await forkSim({ rateLimitPerMinute: limit });
  const sdk = await officialSdk(sim.url);
  try {
    const list = await conferences(sim, kicks);
    let lost = 0;
    const t0 = Date.now();
    await Promise.all(
      list.map(async (c) => {
        try {
          await sdk.get(c.cid);
          await sdk.patch(c.cid, c.pid);
        } catch {
          lost++;
        }
      }),
    );
    const wall = Date.now() - t0;
    const all429 = (await sim.control.requests()).filter((r) => r.status === 429).length;
    report.figure(s, 'official SDK (all at once, no retry of its own): wall time', `${ms(wall)} (${(wall / theoretical).toFixed(3)}x the minimum)`);
    report.figure(s, 'official SDK: kicks lost / 429s received', `${lost} of ${kicks} / ${all429}`);
  } finally {
    sdk.close();
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2b. The budget from Genesys itself: answers carry inin-ratelimit-allowed 180, the config says 300/min.

/** Time scaled down 10x: the simulator's minute is 6 s here (its window counted in 60 slots of 100 ms). */
const BUDGET_SIM_WINDOW_MS = 6_000;
/**
 * The client's window: the simulator's plus the 1 s margin the real client keeps over Genesys' minute (61 s,
 * lib/platform/client.ts RATE_LIMIT_WINDOW_MS). The margin is kept in absolute terms, because latency (a
 * request recorded when it leaves the limiter, counted by the simulator when it arrives) does not scale down.
 */
const BUDGET_CLIENT_WINDOW_MS = BUDGET_SIM_WINDOW_MS + 1_000;

export async function budget(report: Report, kicks = 600): Promise<void> {
  const allowed = 180;
  const configured = 300;
  const requests = kicks * 2;
  const windows = Math.ceil(requests / allowed) - 1;
  const s = report.section('2b. The budget from Genesys: inin-ratelimit-allowed 180, config 300/min', [
    `${kicks} guarded kicks (the default: GET + PATCH each, ${requests} requests) started at once, the config saying ${configured}/min; the simulator enforces ${allowed} ` +
      'per token per window and answers every request with inin-ratelimit-allowed: 180 (as in the sample answer of the official blog, docs/platform.md section 6).',
    `Time scaled down 10x: the simulator's window is ${BUDGET_SIM_WINDOW_MS / 1000} s (its option rateLimitWindowMs), the client's ${BUDGET_CLIENT_WINDOW_MS / 1000} s ` +
      "(the real client's 1 s margin over the minute kept as is: latency does not scale down).",
    'Through lib/ (GenesysClient, ConversationReader, KickLedger, kickParticipant: the calls the node makes), not Node-RED: the config node has no window option.',
    `${requests} requests at ${allowed} per window need ${windows} more window(s) after the first: the theoretical minimum is ${windows} x ${BUDGET_SIM_WINDOW_MS / 1000} s = ${(windows * BUDGET_SIM_WINDOW_MS) / 1000} s.`,
  ]);
  const sim = await forkSim({ rateLimitPerMinute: allowed, rateLimitWindowMs: BUDGET_SIM_WINDOW_MS, disconnectDelayMs: 0 });
  const client = simClient(sim.url, {
    requestsPerMinute: configured,
    rateLimitWindowMs: BUDGET_CLIENT_WINDOW_MS,
  });
  try {
    const list = await conferences(sim, kicks);
    const before = client.rateLimitBudget;
    const ctx = { client, reader: new ConversationReader(client), ledger: new KickLedger() };
    const t0 = Date.now();
    const outcomes = await Promise.all(
      list.map((c) =>
        kickParticipant(ctx, { conversationId: c.cid, participantId: c.pid }).then(
          (r) => r.outcome as string,
          (e: GenesysError) => `error ${e.code}`,
        ),
      ),
    );
    const wall = Date.now() - t0;
    const counters = await sim.control.counters();
    const disconnected = outcomes.filter((o) => o === 'disconnected').length;
    const theoretical = windows * BUDGET_SIM_WINDOW_MS;
    report.figure(
      s,
      'kicks disconnected / failed',
      `${disconnected} / ${kicks - disconnected}${disconnected < kicks ? ` (${[...new Set(outcomes.filter((o) => o !== 'disconnected'))].join(', ')})` : ''}`,
    );
    report.figure(s, '429s (simulator) / retries (client)', `${counters.rateLimited} / ${client.stats().retries}`);
    report.figure(s, 'requests per kick (simulator)', (counters.apiRequests / kicks).toFixed(2));
    report.figure(s, 'client budget: before the first answer / after', `${before} / ${client.rateLimitBudget} per window`);
    report.figure(s, 'wall time / theoretical minimum', `${ms(wall)} / ${ms(theoretical)} = ${(wall / theoretical).toFixed(2)}x`);
    report.goal(s, {
      goal: `Genesys allowing ${allowed}, a config of ${configured}/min: ${kicks} kicks with 0 429s`,
      met: counters.rateLimited === 0 && disconnected === kicks && client.rateLimitBudget === allowed,
      measured: `${counters.rateLimited} 429s, ${disconnected} of ${kicks} disconnected, budget ${client.rateLimitBudget}`,
      limit:
        `The first answer lowers the budget to ${allowed}; before it, the client knows only the configured ${configured}. A guarded kick books its GET + PATCH ` +
        `together, so the first burst is ${Math.floor((configured - Math.floor(configured * 0.05)) / 2)} GETs (under ${allowed}) and the PATCHes booked under ` +
        `${configured} wait for the lowered budget; a config far above Genesys' figure (or ${allowed}+ fast-path kicks at once, one unbooked request each) ` +
        'could send more than the allowed figure before the first answer arrives. Wall time: the client window (the 1 s margin is a sixth of a 6 s window here, 1/60 of the real minute).',
    });
  } finally {
    await client.close();
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 3. 100 concurrent kicks from cold: one token grant.
export async function token(report: Report, kicks = 100): Promise<void> {
  const s = report.section('3. Token: concurrent kicks from cold', [
    `${kicks} guarded kicks sent at once right after deploy (no token yet), through Node-RED; counted by the simulator.`,
  ]);
  const sim = await forkSim({ rateLimitPerMinute: HIGH_LIMIT });
  try {
    const list = await conferences(sim, kicks);
    const collector = await loadBenchFlow(sim, [{ id: 'kick', type: 'genesys-disconnect-participant', wires: [['out1']] }], HIGH_LIMIT);
    for (const c of list) helper.getNode('kick').receive({ conversationId: c.cid, participantId: c.pid });
    await collector.waitFor(kicks, 60_000);
    collector.close();
    const ok = collector.outcomes.filter((o) => o.port === 'out1').length;
    const counters = await sim.control.counters();
    report.figure(s, 'token grants / kicks disconnected', `${counters.tokenGrants} / ${ok} of ${kicks}`);
    report.goal(s, {
      goal: `${kicks} concurrent kicks from cold cause 1 token grant`,
      met: counters.tokenGrants === 1 && ok === kicks,
      measured: `${counters.tokenGrants} grant(s)`,
      limit: 'One grant in flight at a time per config node; every request waits for it.',
    });
  } finally {
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 4. Await: leg end -> await output latency, polls per await.
export async function awaitLatency(report: Report, n = 200): Promise<void> {
  const s = report.section('4. Await: from the leg ending to the await output', [
    `${n} awaits at once (through Node-RED, one per conference), each leg ending on its own in the simulator 0.2-2 s after seeding (endAfterMs).`,
    "Latency: the await node's output time minus the leg's endTime in the simulator (same machine clock). Poll schedule of lib/await-terminal.ts: at once, then every 700 ms for 2.5 s, then x1.5 up to 5 s.",
  ]);
  const sim = await forkSim({ rateLimitPerMinute: HIGH_LIMIT });
  try {
    const collector = await loadBenchFlow(
      sim,
      [{ id: 'await', type: 'genesys-await-terminal', timeout: 30, wires: [['out1'], ['out2']] }],
      HIGH_LIMIT,
    );
    const list = await conferences(sim, n, (i) => ({ endAfterMs: 200 + Math.round((1800 * i) / n) }));
    const outAt = new Map<string, number>();
    collector.onOutcome = (o) => {
      outAt.set(o.msg.conversationId, Date.now());
    };
    for (const c of list) helper.getNode('await').receive({ conversationId: c.cid, participantId: c.pid });
    await collector.waitFor(n, 60_000);
    collector.close();
    const states = new Map((await sim.control.listConversations()).map((c) => [c.id, c]));
    const lat: number[] = [];
    const polls: number[] = [];
    for (const o of collector.outcomes) {
      if (o.port !== 'out1') continue;
      const conv = states.get(o.msg.conversationId)!;
      const end = Date.parse(conv.participants[1].endTime!);
      lat.push(outAt.get(o.msg.conversationId)! - end);
      polls.push(o.msg.payload.polls);
    }
    const l = summarize(lat);
    const p = summarize(polls);
    report.figure(s, 'ended / timed out or failed', `${lat.length} / ${n - lat.length}`);
    report.figure(s, 'latency p50 / p99 / max', `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}`);
    report.figure(s, 'polls per await: mean / max', `${p.mean.toFixed(2)} / ${p.max}`);
    report.goal(s, {
      goal: 'p50 within one poll interval (700 ms)',
      met: l.p50 <= 700,
      measured: ms(l.p50),
      limit: 'The poll interval: a leg ending just after a poll is seen at the next one (uniform 0-700 ms, ~350 ms on average).',
    });
    report.goal(s, {
      goal: '<= 3 polls on average for legs ending within 2 s',
      met: p.mean <= 3 && lat.length === n,
      measured: p.mean.toFixed(2),
      limit: 'The first poll at once, then 700 ms apart: a leg ending at t needs 1 + ceil(t / 700 ms) polls (2 s -> 4).',
    });
  } finally {
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 5. Scale: 10,000 concurrent awaits in one Node-RED process.
export async function scale(report: Report, n = 50_000, rpm = 60_000, label = 'raised budget', judgeCpu = false): Promise<void> {
  const conversations = n / 4;
  const s = report.section(`5. Scale: ${n} concurrent awaits, ${label} (${rpm}/min)`, [
    `${n} awaits at once in one process (test helper, spies removed) on ${conversations} four-party conferences (4 legs each), legs never ending, timeout 600 s; config requestsPerMinute and the simulator's limit ${rpm}/min.`,
    'Memory: after two full gcs, before the msgs and after 15 s of waiting: heapUsed and external (arrayBuffers included) are what the waits hold; rss is read once V8 has unmapped the pages the gc freed (it does so on a background thread, so rss read at the gc itself still counts them), and also shown at its peak while waiting. CPU: process.cpuUsage() of the Node-RED process over a 10 s window while waiting (the simulator runs in its own process).',
    'Then a redeploy (flows stopped): every wait must end, no timer may stay behind, no GET may follow.',
  ]);
  const sim = await forkSim({ rateLimitPerMinute: rpm });
  try {
    const list = await conferences(sim, conversations);
    const collector = await loadBenchFlow(sim, [{ id: 'await', type: 'genesys-await-terminal', timeout: 600, wires: [['out1'], ['out2']] }], rpm);
    // One warm read, so the token and the connection pool are not counted as growth.
    helper.getNode('await').receive({ conversationId: list[0].cid, participantId: list[0].pid, timeout: 1 });
    await sleep(1_500);
    const handlesBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const m0 = await settledMemory();
    const states = await sim.control.listConversations();
    const legsOf = new Map(states.map((c) => [c.id, c.participants.map((p) => p.id)]));
    // Peak rss and heapUsed while waiting (no gc forced: the garbage the traffic leaves until V8 collects it).
    const peak = { rss: 0, heapUsed: 0 };
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    }, 250);
    const t0 = Date.now();
    for (const c of list) for (const pid of legsOf.get(c.cid)!) helper.getNode('await').receive({ conversationId: c.cid, participantId: pid });
    report.figure(s, 'time to hand over all msgs', ms(Date.now() - t0));
    await sleep(5_000);
    const g0 = (await sim.control.counters()).gets;
    const cpu0 = process.cpuUsage();
    const w0 = Date.now();
    await sleep(10_000);
    const cpu = process.cpuUsage(cpu0);
    const wallCpu = Date.now() - w0;
    const gets = (await sim.control.counters()).gets - g0;
    clearInterval(sampler);
    const m1 = await settledMemory();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const held = m1.heapUsed - m0.heapUsed + (m1.external - m0.external);
    report.figure(s, 'heapUsed growth (after gc)', `${mb(m1.heapUsed - m0.heapUsed)} (${mb(m0.heapUsed)} -> ${mb(m1.heapUsed)})`);
    report.figure(
      s,
      'external growth, arrayBuffers included (after gc)',
      `${mb(m1.external - m0.external)} (${mb(m0.external)} -> ${mb(m1.external)}; arrayBuffers ${mb(m0.arrayBuffers)} -> ${mb(m1.arrayBuffers)})`,
    );
    report.figure(s, 'held by the waits (heapUsed + external growth)', `${mb(held)} = ${(held / n / 1024).toFixed(2)} KB per await`);
    report.figure(
      s,
      'heapTotal growth (after gc: heap V8 keeps committed)',
      `${mb(m1.heapTotal - m0.heapTotal)} (${mb(m0.heapTotal)} -> ${mb(m1.heapTotal)})`,
    );
    report.figure(
      s,
      'rss growth (after gc, freed pages unmapped)',
      `${mb(m1.rss - m0.rss)} (${mb(m0.rss)} -> ${mb(m1.rss)}; growth if read at the gc itself: ${mb(m1.rssAtGc - m0.rssAtGc)})`,
    );
    report.figure(s, 'peak while waiting (no forced gc): rss / heapUsed', `${mb(peak.rss)} / ${mb(peak.heapUsed)}`);
    report.figure(s, 'CPU while waiting (10 s window)', `${((cpuMs / wallCpu) * 100).toFixed(1)}% of one core`);
    report.figure(s, 'GETs in that window / per second', `${gets} / ${(gets / (wallCpu / 1000)).toFixed(0)}`);
    report.figure(s, 'CPU per GET (Node-RED side)', gets ? `${((cpuMs * 1000) / gets).toFixed(0)} µs` : 'n/a (no GET in the window)');
    const early = collector.outcomes.length;
    report.figure(s, 'outputs before the redeploy (none expected: no leg ends)', String(early));

    // The redeploy, watched turn by turn: a setImmediate chain records the time between its callbacks, so a
    // gap is how long one turn of the event loop held everything else (every flow of the runtime) back.
    const gaps: number[] = [];
    let sampling = true;
    let lastTick = performance.now();
    const tick = () => {
      const t = performance.now();
      gaps.push(t - lastTick);
      lastTick = t;
      if (sampling) setImmediate(tick);
    };
    setImmediate(tick);
    const u0 = Date.now();
    await helper.unload();
    const unloadMs = Date.now() - u0;
    sampling = false;
    const longestTurn = Math.max(...gaps);
    const blocked = gaps.filter((g) => g > BLOCKED_TURN_MS).reduce((a, g) => a + g, 0);
    const gAfterUnload = (await sim.control.counters()).gets;
    await sleep(3_000);
    const gLater = (await sim.control.counters()).gets;
    const handlesAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const m2 = await settledMemory();
    collector.close();
    report.figure(s, 'redeploy (stop flows) time', ms(unloadMs));
    report.figure(
      s,
      `redeploy: longest turn / total blocked time (turns over ${BLOCKED_TURN_MS} ms) / turns`,
      `${ms(longestTurn)} / ${ms(blocked)} / ${gaps.length}`,
    );
    report.figure(s, 'GETs after the redeploy (3 s)', String(gLater - gAfterUnload));
    report.figure(s, 'Timeout handles: before the msgs / after the redeploy', `${handlesBefore} / ${handlesAfter}`);
    report.figure(s, 'heapUsed after the redeploy (after gc)', `${mb(m2.heapUsed)} (baseline ${mb(m0.heapUsed)})`);
    const growth = Math.max(held, m1.rss - m0.rss);
    const perConference = rpm / conversations;
    s.notes = [
      judgeCpu
        ? `What the budget implies: ${rpm} requests/min shared by ${n} waits on ${conversations} conferences (4 waits per conference share one GET) is one poll per conference every ` +
          `${(conversations / rpm).toFixed(1)} min: the first ${rpm} polls go out at once, every later poll waits for the window (hence no GET in the measured window). ` +
          'An await with the default 30 s timeout would mostly time out before its first poll: at this scale, raise requestsPerMinute with Genesys or use fewer, longer waits.'
        : `With ${rpm}/min the budget allows ${perConference.toFixed(0)} polls per conference per minute; the poll schedule (700 ms, then up to 5 s) asks for fewer, so the GET rate is set by the schedule, not the budget. ` +
          'heapUsed + external is what the waits hold. rss also counts what the traffic leaves behind: the schedule asks for one GET per conference every 700 ms at first ' +
          `(~${Math.round(conversations / 0.7).toLocaleString('en-US')}/s), far more than the simulator answers, so up to one read per conference (${conversations.toLocaleString('en-US')}) stays queued; ` +
          'their objects outlive young-generation gcs, V8 then pretenures those allocation sites, and garbage piles up in the old generation until a full gc (the peak above; with --no-allocation-site-pretenuring it is about half). ' +
          'After it V8 keeps part of that heap committed (heapTotal) and malloc its high-water (the response buffers of that garbage). A gc frees more, but V8 unmaps those pages on a background thread, so rss is read once that is done.',
    ];
    console.log(`  ${s.notes[0]}`);
    // The goal set for 10,000 waits (100 MB), scaled to this many.
    const allowed = (100 * 1024 * 1024 * n) / 10_000;
    report.goal(s, {
      goal: `< ${mb(allowed)} memory growth (100 MB per 10,000 waits)`,
      met: growth < allowed,
      measured: `${mb(growth)} (the larger of held ${mb(held)} and rss ${mb(m1.rss - m0.rss)})`,
      limit:
        'Per wait: one plain record in one heap per config (no timer, closure or listener of its own), its promise, the msg, plus the shared reads in flight and the limiter queue; rss adds the heap and malloc high-water of the first burst of reads.',
    });
    report.goal(s, {
      goal: `redeploy of ${n} waits: total blocked time < 1 s, longest turn < 100 ms`,
      met: blocked < 1_000 && longestTurn < 100,
      measured: `${ms(blocked)} blocked, longest turn ${ms(longestTurn)}`,
      limit:
        'The close aborts one signal per node; the await scheduler cancels its waits in batches of 500 per turn with one shared reason; Node-RED then handles each done(err).',
    });
    report.goal(s, {
      goal: 'held memory per pending await <= 2 KB',
      met: held / n <= 2048,
      measured: `${(held / n / 1024).toFixed(2)} KB`,
      limit:
        'Node-RED itself holds a msg in flight (its clone, the send/done closures): about 0.75 KB per held msg here; a wait adds one plain record, its promise reactions and its share of the reads in flight.',
    });
    report.goal(s, {
      goal: 'cancelled cleanly on redeploy (no GET after, no timer left)',
      met: gLater - gAfterUnload === 0 && handlesAfter <= handlesBefore,
      measured: `${gLater - gAfterUnload} GETs, ${handlesAfter - handlesBefore} extra timers`,
      limit: "The node's close handler aborts every wait; lib clears its timers on abort.",
    });
    const cpuPct = (cpuMs / wallCpu) * 100;
    const perGetUs = gets ? (cpuMs * 1000) / gets : 0;
    if (judgeCpu) {
      report.goal(s, {
        goal: 'idle CPU between polls (< 5% of a core while waiting)',
        met: cpuPct < 5,
        measured: `${cpuPct.toFixed(1)}% of a core for ${(gets / (wallCpu / 1000)).toFixed(1)} GET/s`,
        limit: 'Only the polls the budget allows run; between them the process only holds timers.',
      });
    } else {
      report.figure(
        s,
        'CPU cost',
        `${cpuPct.toFixed(1)}% of a core = ${perGetUs.toFixed(0)} µs per GET at ${(gets / (wallCpu / 1000)).toFixed(0)} GET/s: CPU follows the polls (one shared GET per conference per interval), nothing runs in between`,
      );
    }
  } finally {
    await sim.close();
  }
}
