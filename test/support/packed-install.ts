// The package as a user gets it: `npm pack` of the built project (once per test process), installed with
// `npm install <tgz>` into a Node-RED user dir that has its own package.json. The end-to-end tests load the
// nodes from there, never through nodesDir, so a missing file in package.json "files" fails them.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../testkit/node-red';

const run = promisify(execFile);
export const PACKAGE_NAME = 'node-red-contrib-genesys-participants';

let packed: Promise<string> | undefined;
let packDir: string | undefined;

/** Path of the .tgz `npm pack` made of the project (dist/ must be built). Packed once per process. */
export function packOnce(): Promise<string> {
  packed ??= (async () => {
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
      cwd: projectRoot,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const info = JSON.parse(stdout) as Array<{ filename: string }>;
    const tgz = path.join(packDir, info[0].filename);
    if (!fs.existsSync(tgz)) throw new Error(`npm pack did not write ${tgz}`);
    return tgz;
  })();
  return packed;
}

/** Creates `userDir` with a package.json and installs the packed package into it (registry: deps only). */
export async function installPacked(userDir: string): Promise<{ tgz: string; installedDir: string }> {
  const tgz = await packOnce();
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'e2e user dir', version: '0.0.1', private: true }, null, 2),
  );
  try {
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz], {
      cwd: userDir,
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm install ${path.basename(tgz)} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err });
  }
  return { tgz, installedDir: path.join(userDir, 'node_modules', PACKAGE_NAME) };
}

/** Removes the pack dir (call from a root-level after hook or the last suite's after). */
export function removePackDir(): void {
  if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  packDir = undefined;
  packed = undefined;
}
