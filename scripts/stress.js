#!/usr/bin/env node
// Runs the whole suite N times in a row with a CPU-burning process on every core beside it: a test that only
// passes on an idle machine fails here. Prints each run's `N passed, N failed` line and a final tally.
//   npm run test:stress [-- --runs N] [-- any scripts/test.js args, e.g. --only 4 or a file]
// Builds once first; each run is `node scripts/test.js ...`. The burners are killed at the end, on Ctrl-C too.
'use strict';
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
let runs = 5;
const runsAt = args.indexOf('--runs');
if (runsAt >= 0) {
  runs = Number(args[runsAt + 1]);
  args.splice(runsAt, 2);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error('--runs takes a whole number >= 1');
    process.exit(2);
  }
}

const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const burners = [];

function startBurners() {
  for (let i = 0; i < cores; i++) {
    // A busy loop at normal priority: it competes with the tests for every core.
    const b = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    b.on('error', () => undefined);
    burners.push(b);
  }
}

function stopBurners() {
  for (const b of burners.splice(0)) {
    if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
  }
}

let current;
function onSignal(signal) {
  console.log(`\n${signal}: stopping`);
  stopBurners();
  // The run has its own process group (test.js and its mocha): end all of it.
  if (current && current.exitCode === null) {
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  process.exit(130);
}
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('exit', stopBurners);

/** One run of scripts/test.js: its output goes through, its last summary line is returned. */
function runOnce() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'test.js'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    current = child;
    let summary;
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4096);
      for (const m of tail.matchAll(/^(\d+) passed, (\d+) failed$/gm)) summary = { passed: Number(m[1]), failed: Number(m[2]), line: m[0] };
    });
    child.on('exit', (code) => {
      current = undefined;
      // No summary line (a crash) counts as a failed run.
      resolve(summary ?? { passed: 0, failed: 1, line: `no summary line (exit ${code})` });
    });
  });
}

(async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  startBurners();
  console.log(`stress: ${runs} run(s) of the suite${args.length ? ` (${args.join(' ')})` : ''} beside ${cores} CPU burner(s)`);
  const lines = [];
  let failedRuns = 0;
  for (let i = 1; i <= runs; i++) {
    const started = Date.now();
    const s = await runOnce();
    const line = `stress run ${i}/${runs}: ${s.line} (${Math.round((Date.now() - started) / 1000)} s)`;
    lines.push(line);
    if (s.failed > 0) failedRuns++;
    console.log(`\n${line}`);
  }
  stopBurners();
  console.log('\n=== stress summary ===');
  for (const line of lines) console.log(line);
  console.log(`${runs - failedRuns} of ${runs} runs passed, ${failedRuns} failed`);
  process.exit(failedRuns === 0 ? 0 : 1);
})();
