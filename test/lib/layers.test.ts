// The layers, as the import statements show them: nodes/ -> lib/index -> lib/conversation/ -> lib/platform/,
// lib/ never reaches Node-RED, sim/ never reaches lib/ (the simulator stands in for Genesys and must not share
// our assumptions), bench/ never reaches test/. A file that breaks a rule fails here with its name and the import.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../testkit/node-red';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(projectRoot, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Every module a file imports, relative ones resolved to a path from the project root (no extension). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(projectRoot, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import|require\()\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith('.') ? path.normalize(path.join(path.dirname(file), s)) : s));
}

function breaches(dir: string, allowed: (target: string, file: string) => boolean): string[] {
  return sources(dir).flatMap((file) =>
    importsOf(file)
      .filter((t) => !allowed(t, file))
      .map((t) => `${file} imports ${t}`),
  );
}

const NODE_BUILTIN = /^node:/;

describe('layers', () => {
  it('lib/platform imports only itself, node: built-ins, undici and zod', () => {
    const ok = (t: string) => NODE_BUILTIN.test(t) || t === 'undici' || t === 'zod' || t.startsWith('lib/platform/');
    assert.deepEqual(breaches('lib/platform', ok), []);
  });

  it('lib/conversation imports itself and lib/platform, never Node-RED', () => {
    const ok = (t: string) => NODE_BUILTIN.test(t) || t === 'zod' || t.startsWith('lib/conversation/') || t.startsWith('lib/platform/');
    assert.deepEqual(breaches('lib/conversation', ok), []);
  });

  it('nodes/ reach lib/ only through lib/index', () => {
    const ok = (t: string) => !t.startsWith('lib/') || t === 'lib' || t === 'lib/index';
    assert.deepEqual(breaches('nodes', ok), []);
  });

  it('sim/ imports nothing from lib/ or nodes/', () => {
    const ok = (t: string) => !t.startsWith('lib') && !t.startsWith('nodes');
    assert.deepEqual(breaches('sim', ok), []);
  });

  it('bench/ and testkit/ import nothing from test/ (what both share is in testkit/)', () => {
    const ok = (t: string) => !t.startsWith('test/');
    assert.deepEqual([...breaches('bench', ok), ...breaches('testkit', ok)], []);
  });
});
