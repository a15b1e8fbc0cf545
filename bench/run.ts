// `npm run bench`: the five benchmarks in one run, each figure printed as it is measured, then
// bench/results.md written with the machine, the command, every figure and each goal MET or MISSED.
//   node dist/bench/run.js [--only overhead,bulk,token,await,scale] [--quick] [--no-write]
import * as path from 'node:path';
import { helper } from './kit';
import { Report } from './report';
import { awaitLatency, bulk, overhead, scale, token } from './benches';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(',')) : undefined;
const quick = args.includes('--quick');
const write = !args.includes('--no-write') && !only && !quick;
const want = (name: string) => !only || only.has(name);

async function main(): Promise<void> {
  const report = new Report();
  console.log(`Benchmarks on Node ${process.version}${quick ? ' (quick: smaller sizes, results.md not written)' : ''}`);
  await helper.startServer();
  try {
    if (want('overhead')) await overhead(report, quick ? 200 : 1000);
    if (want('bulk')) await bulk(report, quick ? 150 : 600, quick ? 240 : 900);
    if (want('token')) await token(report, 100);
    if (want('await')) await awaitLatency(report, quick ? 50 : 200);
    if (want('scale')) {
      await scale(report, quick ? 2_000 : 10_000, 60_000, 'raised budget');
      await scale(report, quick ? 2_000 : 10_000, 300, 'the real default budget', true);
    }
  } finally {
    await helper.unload().catch(() => undefined);
    await helper.stopServer().catch(() => undefined);
  }
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
