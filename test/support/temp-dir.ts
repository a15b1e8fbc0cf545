// A temporary folder for a describe block of the end-to-end tests (a Node-RED user dir, a demo's files).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Registers the hooks: the folder is made before the block's tests and removed after them, once `stop` (what
 * runs in it) has ended. Returns the folder's path: call it inside tests and hooks.
 */
export function useTempDir(prefix: string, stop: () => Promise<unknown> | unknown): () => string {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(async () => {
    try {
      await stop();
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  return () => dir;
}
