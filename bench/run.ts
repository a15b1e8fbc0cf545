// `npm run bench`: the five benchmarks in one run, each figure printed as it is measured, then
// bench/results.md written with the machine, the command, every figure and each goal MET or MISSED.
//   node dist/bench/run.js [--only overhead,bulk,budget,token,await,scale,scale-raised,scale-real,push,confirm,events] [--quick] [--no-write]
//   npm run bench -- overhead budget   (names without --only: the same, those benchmarks alone)
// In a full run each scale measurement runs in a fresh process, so that the memory the earlier benchmarks
// left behind (allocator pages, a grown heap) is not counted as growth of the 50,000 waits.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper } from './kit';
import { Report } from './report';
import { awaitLatency, budget, bulk, overhead, scale, token } from './benches';
import { pushConfirm, pushScale } from './push';
import { eventsLatency } from './events';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const sectionsOutAt = args.indexOf('--sections-out');
/** Benchmarks named without a flag (`npm run bench -- overhead`). */
const flagValues = new Set([onlyAt, sectionsOutAt].filter((i) => i >= 0).map((i) => i + 1));
const named = args.filter((a, i) => !a.startsWith('--') && !flagValues.has(i));
const only = onlyAt >= 0 || named.length > 0 ? new Set([...(onlyAt >= 0 ? args[onlyAt + 1].split(',') : []), ...named]) : undefined;
const NAMES = ['overhead', 'bulk', 'budget', 'token', 'await', 'scale', 'scale-raised', 'scale-real', 'push', 'confirm', 'events'];
const unknown = [...(only ?? [])].filter((n) => !NAMES.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${NAMES.join(', ')}`);
  process.exit(2);
}
const quick = args.includes('--quick');
const write = !args.includes('--no-write') && !only && !quick;
const want = (name: string) => !only || only.has(name) || (name.startsWith('scale-') && only.has('scale'));
const sectionsOut = sectionsOutAt >= 0 ? args[sectionsOutAt + 1] : undefined;

/** Runs one benchmark in a fresh Node process and adds its sections to `report`. */
async function inFreshProcess(name: string, report: Report): Promise<void> {
  const out = path.join(os.tmpdir(), `genesys-bench-${process.pid}-${name}.json`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, '--only', name, '--sections-out', out, ...(quick ? ['--quick'] : [])], {
      stdio: 'inherit',
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`benchmark ${name} exited with ${code}`))));
  });
  report.sections.push(...JSON.parse(fs.readFileSync(out, 'utf8')));
  fs.rmSync(out, { force: true });
}

async function main(): Promise<void> {
  const report = new Report();
  console.log(`Benchmarks on Node ${process.version}${quick ? ' (quick: smaller sizes, results.md not written)' : ''}`);
  await helper.startServer();
  try {
    if (want('overhead')) await overhead(report, quick ? 200 : 1000);
    if (want('bulk')) await bulk(report, quick ? 150 : 600, quick ? 240 : 900);
    if (want('budget')) await budget(report, quick ? 200 : 600);
    if (want('token')) await token(report, 100);
    if (want('await')) await awaitLatency(report, quick ? 50 : 200);
    if (want('confirm')) await pushConfirm(report, 3, quick ? 20 : 50);
    if (want('events')) await eventsLatency(report, quick ? 50 : 200);
    const awaits = quick ? 5_000 : 50_000;
    if (want('scale-raised')) {
      if (!only) await inFreshProcess('scale-raised', report);
      else await scale(report, awaits, 60_000, 'raised budget');
    }
    if (want('scale-real')) {
      if (!only) await inFreshProcess('scale-real', report);
      else await scale(report, awaits, 300, 'the real default budget', true);
    }
    if (want('push')) {
      if (!only) await inFreshProcess('push', report);
      else await pushScale(report, quick ? 1_000 : 10_000);
    }
  } finally {
    await helper.unload().catch(() => undefined);
    await helper.stopServer().catch(() => undefined);
  }
  if (sectionsOut) fs.writeFileSync(sectionsOut, JSON.stringify(report.sections));
  const file = path.resolve(__dirname, '..', '..', 'bench', 'results.md');
  const nodeRed = require('node-red/package.json').version as string;
  if (write) {
    report.write(file, 'npm run bench', [`- Node-RED: ${nodeRed} (node-red-node-test-helper, in-process); simulator: sim/ in a child process`]);
    console.log(`\nwritten: ${file}`);
  }
  const missed = report.sections.flatMap((s) => s.goals).filter((g) => !g.met).length;
  console.log(`\n${report.sections.flatMap((s) => s.goals).length - missed} goals met, ${missed} missed`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
