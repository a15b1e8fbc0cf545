#!/usr/bin/env node
// Build: tsc to dist/, then copy each node's editor files (.html, locales/, icons) next to its compiled .js,
// because tsc copies only what it compiles. With --if-needed, skip when dist/ is newer than every source.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const sourceDirs = ['lib', 'nodes', 'sim', 'test', 'bench', 'scripts'];

function newestMtime(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

if (process.argv.includes('--if-needed') && fs.existsSync(path.join(dist, '.built'))) {
  const built = fs.statSync(path.join(dist, '.built')).mtimeMs;
  const sources = Math.max(...sourceDirs.map((d) => newestMtime(path.join(root, d))), fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs);
  if (sources <= built) process.exit(0);
}

// --allow-errors (development only, while several people edit at once): emit even when another file has
// a type error. The real build (npm test, CI) never uses it: noEmitOnError holds there.
const tscArgs = [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')];
if (process.argv.includes('--allow-errors')) tscArgs.push('--noEmitOnError', 'false');
try {
  execFileSync(process.execPath, tscArgs, { stdio: 'inherit', cwd: root });
} catch (err) {
  if (!process.argv.includes('--allow-errors')) process.exit(1);
}

// Copy non-TypeScript assets of nodes/ (editor html, locales) to dist/nodes/.
function copyAssets(srcDir, outDir) {
  if (!fs.existsSync(srcDir)) return;
  for (const entry of fs.readdirSync(srcDir, { withFileTypes: true })) {
    const src = path.join(srcDir, entry.name);
    const out = path.join(outDir, entry.name);
    if (entry.isDirectory()) copyAssets(src, out);
    else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(outDir, { recursive: true });
      fs.copyFileSync(src, out);
    }
  }
}
copyAssets(path.join(root, 'nodes'), path.join(dist, 'nodes'));
// Node-RED looks for icons in an "icons" folder beside the node's .js file.
for (const entry of fs.existsSync(path.join(root, 'nodes')) ? fs.readdirSync(path.join(root, 'nodes'), { withFileTypes: true }) : []) {
  if (entry.isDirectory()) copyAssets(path.join(root, 'icons'), path.join(dist, 'nodes', entry.name, 'icons'));
}
fs.writeFileSync(path.join(dist, '.built'), new Date().toISOString());
