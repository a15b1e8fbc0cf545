#!/usr/bin/env node
// Build: `tsc -b` (tsconfig.json references tsconfig.build.json, the shipped code; tsc's own incremental build
// skips what has not changed), then copy each node's editor files (.html, locales/, icons) next to its compiled
// .js, because tsc copies only what it compiles. `--if-needed` is accepted for the npm scripts that used it:
// tsc -b decides that by itself now.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
} catch {
  process.exit(1);
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
