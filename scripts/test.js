#!/usr/bin/env node
// Runs the whole suite twice: Node-RED 4.1 on the machine's Node, and Node-RED 5 (which refuses to start below
// Node 22.9) on a Node 22: the machine's own if it is 22.9+, else GENESYS_TEST_NODE22, else the official
// binary from the npm package node-<platform>-<arch>, fetched once into .cache/node22 (from the npm registry,
// like every other package). Prints one last line `N passed, N failed` summing both passes: the line CI reads.
//   node scripts/test.js [--only 4|5] [mocha args, e.g. a file or --grep]   (lint runs only without arguments)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
let only;
const onlyAt = args.indexOf('--only');
if (onlyAt >= 0) {
  only = args[onlyAt + 1];
  args.splice(onlyAt, 2);
}

const NODE22_PACKAGE = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const NODE22_VERSION = '^22.9.0';

function atLeast22_9(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 9);
}

/** A Node binary that can run Node-RED 5, or throws saying how to provide one. */
function node22() {
  if (process.env.GENESYS_TEST_NODE22) return process.env.GENESYS_TEST_NODE22;
  if (atLeast22_9(process.version)) return process.execPath;
  const prefix = path.join(root, '.cache', 'node22');
  const bin = path.join(prefix, 'node_modules', NODE22_PACKAGE, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!fs.existsSync(bin)) {
    console.log(`Node-RED 5 needs Node 22.9+: fetching ${NODE22_PACKAGE}@${NODE22_VERSION} into .cache/node22`);
    fs.mkdirSync(prefix, { recursive: true });
    fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}\n');
    const npm = process.env.npm_execpath;
    const cmd = npm ? [process.execPath, [npm]] : ['npm', []];
    execFileSync(cmd[0], [...cmd[1], 'install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `${NODE22_PACKAGE}@${NODE22_VERSION}`], {
      stdio: 'inherit',
    });
  }
  return bin;
}

const passes = [
  { label: `Node-RED 4.1 on Node ${process.version}`, nodeRed: '4', node: () => process.execPath },
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
      '--reporter',
      path.join(root, 'dist/test/support/summary-reporter.js'),
      '--timeout',
      '30000',
      '--slow',
      '2000',
      ...specs,
      ...args,
    ];
    console.log(`\n=== ${pass.label} ===`);
    let nodeBin;
    try {
      nodeBin = pass.node();
    } catch (err) {
      console.error(`${pass.label}: no Node to run it (${err.message}); set GENESYS_TEST_NODE22 to a Node 22.9+ binary`);
      resolve({ passed: 0, failed: 1 });
      return;
    }
    const child = spawn(nodeBin, mochaArgs, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TEST_SUMMARY_FILE: summaryFile, GENESYS_TEST_NODE_RED: pass.nodeRed, GENESYS_TEST_NODE_BIN: nodeBin },
    });
    const watchdog = setTimeout(() => {
      console.error(`\n${pass.label}: still running after ${PASS_TIMEOUT_MS / 60000} min (an open handle?): killed`);
      child.kill('SIGKILL');
    }, PASS_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      let summary = { passed: 0, failed: 0 };
      try {
        summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      } catch {
        /* crashed before the end */
      }
      fs.rmSync(summaryFile, { force: true });
      // A pass that exited non-zero without reporting failures (crash, hang, open handle) counts as one failure.
      if (code !== 0 && summary.failed === 0) summary.failed = 1;
      resolve(summary);
    });
  });
}

/**
 * Lint before the suite, counted like a test each: eslint (typescript-eslint rules, `any` refused in the shipped
 * code) and prettier --check. Skipped when mocha is given a file or a --grep (a developer running one test).
 */
function lint() {
  const checks = [
    // By path: eslint's package "exports" do not list its bin, so require.resolve refuses it.
    { label: 'eslint', bin: path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), args: ['.'] },
    {
      label: 'prettier --check',
      bin: path.join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
      args: ['--check', '--log-level', 'warn', '.'],
    },
  ];
  let passed = 0;
  let failed = 0;
  for (const check of checks) {
    try {
      execFileSync(process.execPath, [check.bin, ...check.args], { cwd: root, stdio: 'inherit' });
      console.log(`  ✔ ${check.label}`);
      passed++;
    } catch {
      console.log(`  ✗ ${check.label} found problems (listed above)`);
      failed++;
    }
  }
  return { passed, failed };
}

(async () => {
  let passed = 0;
  let failed = 0;
  if (args.length === 0 && !only) {
    console.log('\n=== lint ===');
    ({ passed, failed } = lint());
  }
  for (const pass of passes) {
    const s = await runPass(pass);
    passed += s.passed;
    failed += s.failed;
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})();
