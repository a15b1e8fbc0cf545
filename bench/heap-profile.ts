// Where the memory of pending awaits goes: a heap snapshot before and after N awaits (legs that never end,
// 300 requests/min), diffed by constructor, printed as bytes and objects per await (largest first).
//   node dist/bench/heap-profile.js [N=4000] [--floor]
// --floor loads a node that only holds each msg until close: what Node-RED itself keeps per pending msg.
// NAMES=type,type also breaks those snapshot node types down by name. An analysis tool, not a benchmark.
import * as v8 from 'node:v8';
import { forkSim } from './sim-host';
import { ALL_NODES } from '../testkit/harness';
import { conferences, helper, loadBenchFlow, memoryAfterGc, sleep } from './kit';

function stats(): Map<string, { n: number; size: number }> {
  const snap = JSON.parse(require('node:fs').readFileSync(v8.writeHeapSnapshot('/tmp/h.heapsnapshot'), 'utf8'));
  const f = snap.snapshot.meta.node_fields as string[];
  const types = snap.snapshot.meta.node_types[0] as string[];
  const nf = f.length,
    iType = f.indexOf('type'),
    iName = f.indexOf('name'),
    iSize = f.indexOf('self_size');
  const out = new Map<string, { n: number; size: number }>();
  const nodes = snap.nodes as number[];
  for (let i = 0; i < nodes.length; i += nf) {
    const t = types[nodes[i + iType]];
    const name =
      t === 'object' || t === 'closure' || t === 'native' || (process.env.NAMES ?? '').split(',').includes(t)
        ? `${t}:${snap.strings[nodes[i + iName]].slice(0, 60)}`
        : t;
    const e = out.get(name) ?? { n: 0, size: 0 };
    e.n++;
    e.size += nodes[i + iSize];
    out.set(name, e);
  }
  return out;
}

// A node that holds every msg until close: the floor of what Node-RED itself keeps per pending msg.
ALL_NODES.push(function (RED: any) {
  RED.nodes.registerType('hold', function (this: any, config: any) {
    RED.nodes.createNode(this, config);
    const held: any[] = [];
    this.on('input', (msg: any, _send: any, done: any) => held.push([msg, done]));
    this.on('close', () => {
      for (const [, d] of held) d();
    });
  });
} as any);
(async () => {
  const N = Number(process.argv[2] ?? 4000);
  await helper.startServer();
  const sim = await forkSim({ rateLimitPerMinute: 300 });
  const list = await conferences(sim, N / 4);
  const floor = process.argv.includes('--floor');
  await loadBenchFlow(sim, [{ id: 'await', type: floor ? 'hold' : 'genesys-await-terminal', timeout: 600, wires: [['out1'], ['out2']] }], 300);
  helper.getNode('await').receive({ conversationId: list[0].cid, participantId: list[0].pid, timeout: 1 });
  await sleep(1500);
  const states = await sim.control.listConversations();
  memoryAfterGc();
  const a = stats();
  const m0 = memoryAfterGc();
  for (const s of states) for (const p of s.participants) helper.getNode('await').receive({ conversationId: s.id, participantId: p.id });
  await sleep(5000);
  const m1 = memoryAfterGc();
  const b = stats();
  console.log('heap per await', ((m1.heapUsed - m0.heapUsed + m1.external - m0.external) / N).toFixed(0), 'bytes');
  const rows = [...b]
    .map(([k, v]) => {
      const o = a.get(k) ?? { n: 0, size: 0 };
      return [k, v.n - o.n, v.size - o.size] as const;
    })
    .filter((r) => r[2] > N * 8)
    .sort((x, y) => y[2] - x[2])
    .slice(0, 40);
  for (const [k, n, s] of rows)
    console.log(String((s / N).toFixed(0)).padStart(6), 'B/await', String((n / N).toFixed(2)).padStart(6), 'obj/await', k);
  await helper.unload();
  await sim.close();
  await helper.stopServer();
  process.exit(0);
})();
