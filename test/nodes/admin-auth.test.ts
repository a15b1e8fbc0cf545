// The "Test connection" endpoint under Node-RED's real admin auth: a real Node-RED process (the Node-RED of
// this pass) with adminAuth users, our package installed in its user dir. A read-only user is refused.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { nodeRedDir, projectRoot } from '../support/node-red';
import { startSim, type Sim } from './support';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs');

describe('genesys-cloud-config admin endpoints under adminAuth (real Node-RED process)', function () {
  this.timeout(90_000);
  let sim: Sim;
  let nodeRed: NodeRedInstance | undefined;
  let tmp: string;

  before(async () => {
    sim = await startSim({ port: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-admin-auth-'));
    const userDir = path.join(tmp, 'user');
    fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
    // The package as Node-RED finds an installed one: through its package.json "node-red" section.
    fs.symlinkSync(projectRoot, path.join(userDir, 'node_modules', 'node-red-contrib-genesys-participants'), 'dir');
    const hash = bcrypt.hashSync('secret-pw', 8);
    nodeRed = await launchNodeRed({
      userDir,
      // The CLI (red.js at the package root), not the package main (lib/red.js, the embedding API).
      nodeRedMain: path.join(nodeRedDir, 'red.js'),
      nodeBin: process.env.GENESYS_TEST_NODE_BIN || process.execPath,
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'viewer', password: hash, permissions: 'read' },
            { username: 'admin', password: hash, permissions: '*' },
          ],
        },
      },
    });
  });

  after(async () => {
    await nodeRed?.stop();
    await sim?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function token(username: string): Promise<string> {
    // Node-RED grants a scope the user has: 'read' for the viewer, '*' for the admin.
    const scope = username === 'viewer' ? 'read' : '*';
    const res = await fetch(`${nodeRed!.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'secret-pw' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as any).access_token;
  }

  const body = () => JSON.stringify({ region: 'custom', apiBaseUrl: sim.url, authBaseUrl: sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret' });
  const post = (auth?: string) => fetch(`${nodeRed!.url}/genesys-cloud-config/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: body(),
  });

  it('the nodes are installed', async () => {
    const res = await fetch(`${nodeRed!.url}/nodes`, { headers: { accept: 'application/json', authorization: `Bearer ${await token('admin')}` } });
    const sets = (await res.json()) as any[];
    const types = sets.flatMap((s) => s.types ?? []);
    for (const t of ['genesys-cloud-config', 'genesys-list-participants', 'genesys-disconnect-participant', 'genesys-await-terminal']) {
      assert.ok(types.includes(t), `${t} registered; got ${JSON.stringify(sets.filter((s) => /genesys/.test(s.module)))}`);
    }
    assert.ok(sets.filter((s) => /genesys/.test(s.module)).every((s) => s.enabled && !s.err), 'loaded without error');
  });

  it('refuses an anonymous caller and a read-only user, and never reaches Genesys', async () => {
    assert.equal((await post()).status, 401);
    assert.equal((await post(await token('viewer'))).status, 401);
    assert.equal((await sim.control.counters()).tokenGrants, 0);
  });

  it('a read-only user may read the region list', async () => {
    const res = await fetch(`${nodeRed!.url}/genesys-cloud-config/regions`, { headers: { authorization: `Bearer ${await token('viewer')}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).regions.length, 18);
  });

  it('answers ok to a user with write permission', async () => {
    const res = await post(await token('admin'));
    assert.equal(res.status, 200);
    const answer = (await res.json()) as any;
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal((await sim.control.counters()).tokenGrants, 1);
  });
});
