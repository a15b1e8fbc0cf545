// The README's "Install into Node-RED", step by step, as a user follows it from a clone: Node-RED's first start
// creates a fresh user dir (with its package.json), `npm pack` in the clone (prepack builds) writes the tarball
// the README names, `npm install <that tgz>` in the user dir, restart Node-RED: /nodes lists our node types
// from the installed package (no nodesDir: nothing else could load them). The install may fetch undici and zod
// from the npm registry; --prefer-offline takes them from npm's cache when they are there.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { nodeRedMain, OUR_TYPES, projectRoot } from '../../testkit/node-red';
import { packOnce, PACKAGE_NAME } from '../support/packed-install';
import { useTempDir } from '../support/temp-dir';

const run = promisify(execFile);

interface NodeSet {
  module: string;
  types: string[];
  enabled: boolean;
  loaded?: boolean;
  version?: string;
  err?: string;
}

async function nodeSets(nodeRed: NodeRedInstance): Promise<NodeSet[]> {
  const res = await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200);
  return (await res.json()) as NodeSet[];
}

/** The README's "Install into Node-RED" section, up to the next heading. */
function installSection(): string {
  const readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const m = /^## Install into Node-RED\n([\s\S]*?)^##? /m.exec(readme);
  assert.ok(m, 'the README has an "Install into Node-RED" section');
  return m[1];
}

describe('e2e: README "Install into Node-RED" from a clone (npm pack, npm install <tgz>, restart)', function () {
  this.timeout(180_000);
  let nodeRed: NodeRedInstance | undefined;
  const tmp = useTempDir('genesys-install-', () => nodeRed?.stop());

  it('installs the packed tarball into a fresh user dir; after a restart Node-RED lists every node type', async () => {
    const section = installSection();
    assert.match(section, /^npm pack\b/m, 'the README says npm pack');
    const userDir = path.join(tmp(), 'node-red'); // stands for ~/.node-red

    // A Node-RED that has run once: it created the user dir and its package.json.
    nodeRed = await launchNodeRed({ userDir, nodeRedMain, port: 0 });
    assert.ok(fs.existsSync(path.join(userDir, 'package.json')), "Node-RED created the user dir's package.json");
    assert.ok(!(await nodeSets(nodeRed)).some((s) => s.module === PACKAGE_NAME), 'not installed yet');
    await nodeRed.stop();
    nodeRed = undefined;

    // npm pack in the clone writes the tarball the README names; npm install it in the user dir.
    const tgz = await packOnce();
    const installLine = /^npm install (\S+\.tgz)/m.exec(section);
    assert.ok(installLine, 'the README says npm install <the .tgz>');
    assert.equal(path.basename(installLine[1]), path.basename(tgz), 'the README names the file npm pack writes');
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz], {
        cwd: userDir,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      assert.fail(`npm install ${path.basename(tgz)} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
    const saved = JSON.parse(fs.readFileSync(path.join(userDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.ok(saved.dependencies?.[PACKAGE_NAME], "npm saved the package in the user dir's package.json (Node-RED reinstalls from it)");

    // Restart Node-RED: the nodes load from the user dir's node_modules.
    // As on a German machine (LANG=de_DE): Node-RED would log its start in German, and the launcher of
    // npm start and the tests reads those lines; it runs the runtime in English (scripts/node-red-launcher.ts).
    nodeRed = await launchNodeRed({ userDir, nodeRedMain, port: 0, env: { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LC_MESSAGES: 'de_DE.UTF-8' } });
    const ours = (await nodeSets(nodeRed)).filter((s) => s.module === PACKAGE_NAME);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...OUR_TYPES].sort());
    for (const s of ours) assert.ok(s.enabled && s.loaded !== false && !s.err, `${s.types.join(', ')} loaded: ${s.err ?? ''}`);
    const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(ours[0].version, pkg.version);
  });
});
