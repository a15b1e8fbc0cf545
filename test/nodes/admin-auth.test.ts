// The "Test connection" endpoint under Node-RED's real admin auth: a real Node-RED process (the Node-RED of
// this pass) with adminAuth users, our package installed in its user dir. A read-only user is refused. An
// editor user with write permission cannot make the runtime send the stored secret, or an environment
// variable, to an origin of their choice (an attacker's server that counts every connection).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { nodeRedDir, OUR_TYPES, projectRoot } from '../../testkit/node-red';
import { start as startSim, type SimHandle as Sim } from '../../sim';
import { assertNoSecretsIn, registerSecret } from '../reliability/secrets-guard';

const bcrypt = require('bcryptjs');

describe('genesys-cloud-config admin endpoints under adminAuth (real Node-RED process)', function () {
  this.timeout(90_000);
  let sim: Sim;
  let nodeRed: NodeRedInstance | undefined;
  let tmp: string;
  /** An attacker's server: counts every connection and request (it must see none). */
  let attacker: { url: string; connections: number; requests: string[]; close(): Promise<void> };
  const ENV_SECRET = `Env-Secret-${randomBytes(10).toString('hex')}`;

  before(async () => {
    registerSecret(ENV_SECRET);
    sim = await startSim({ port: 0 });
    const seen = { connections: 0, requests: [] as string[] };
    const server = http.createServer((req, res) => {
      seen.requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"access_token":"attacker-token","expires_in":86400}');
    });
    server.on('connection', () => seen.connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    attacker = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      get connections() {
        return seen.connections;
      },
      requests: seen.requests,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
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
      env: { GENESYS_ATTACK_VAR: ENV_SECRET },
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
    await attacker?.close();
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

  const body = () =>
    JSON.stringify({ region: 'custom', apiBaseUrl: sim.url, authBaseUrl: sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret' });
  const post = (auth?: string) =>
    fetch(`${nodeRed!.url}/genesys-cloud-config/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: body(),
    });

  it('the nodes are installed', async () => {
    const res = await fetch(`${nodeRed!.url}/nodes`, { headers: { accept: 'application/json', authorization: `Bearer ${await token('admin')}` } });
    const sets = (await res.json()) as any[];
    const types = sets.flatMap((s) => s.types ?? []);
    for (const t of OUR_TYPES) {
      assert.ok(types.includes(t), `${t} registered; got ${JSON.stringify(sets.filter((s) => /genesys/.test(s.module)))}`);
    }
    assert.ok(
      sets.filter((s) => /genesys/.test(s.module)).every((s) => s.enabled && !s.err),
      'loaded without error',
    );
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

  it('Test connection never sends the stored secret or an environment variable to an origin the dialog names', async () => {
    const admin = await token('admin');
    const from = nodeRed!.logs.length;
    const flows = [
      { id: 'tA', type: 'tab', label: 'attack' },
      {
        id: 'cfgA',
        type: 'genesys-cloud-config',
        name: 'stored',
        region: 'custom',
        apiBaseUrl: sim.url,
        authBaseUrl: sim.url,
        requestsPerMinute: 300,
        maxRetryAfterSeconds: 180,
        credentials: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
      },
    ];
    const deployed = await fetch(`${nodeRed!.url}/flows`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'Node-RED-Deployment-Type': 'full',
        'Node-RED-API-Version': 'v1',
        authorization: `Bearer ${admin}`,
      },
      body: JSON.stringify(flows),
    });
    assert.ok(deployed.status === 200 || deployed.status === 204, `deploy: ${deployed.status}`);
    await nodeRed!.waitForLog(/Started flows/, from, 30_000);

    const test = async (body: Record<string, unknown>) => {
      const res = await fetch(`${nodeRed!.url}/genesys-cloud-config/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      assertNoSecretsIn(text, 'the test-connection answer');
      return JSON.parse(text) as { ok: boolean; error?: { code: string; field?: string; message: string } };
    };
    const grantsBefore = (await sim.control.counters()).tokenGrants;
    const evil = { region: 'custom', apiBaseUrl: attacker.url, authBaseUrl: attacker.url };
    const attacks: [string, Record<string, unknown>, string][] = [
      ['the stored secret to attacker origins', { id: 'cfgA', ...evil, clientId: 'sim-client-id', clientSecret: '__PWRD__' }, 'apiBaseUrl'],
      [
        'the stored secret to the attacker login origin only',
        { id: 'cfgA', region: 'custom', apiBaseUrl: sim.url, authBaseUrl: attacker.url, clientId: 'sim-client-id', clientSecret: '__PWRD__' },
        'authBaseUrl',
      ],
      ['the stored secret to a real region', { id: 'cfgA', region: 'mypurecloud.ie', clientId: 'sim-client-id', clientSecret: '__PWRD__' }, 'region'],
      [
        'the stored secret with another client id',
        { id: 'cfgA', region: 'custom', apiBaseUrl: sim.url, authBaseUrl: sim.url, clientId: 'someone-else', clientSecret: '__PWRD__' },
        'clientId',
      ],
      [
        'the stored secret of a node that is not deployed',
        { id: 'not-deployed', ...evil, clientId: 'sim-client-id', clientSecret: '__PWRD__' },
        'clientSecret',
      ],
      ['an env var as the client id', { ...evil, clientId: '${GENESYS_ATTACK_VAR}', clientSecret: 'typed-secret-1234' }, 'clientId'],
      ['an env var as the secret', { ...evil, clientId: 'sim-client-id', clientSecret: '${GENESYS_ATTACK_VAR}' }, 'clientSecret'],
      ['an env var with the stored secret', { id: 'cfgA', ...evil, clientId: '${GENESYS_ATTACK_VAR}', clientSecret: '__PWRD__' }, 'clientId'],
    ];
    for (const [label, body, field] of attacks) {
      const answer = await test(body);
      assert.equal(answer.ok, false, `${label}: ${JSON.stringify(answer)}`);
      assert.equal(answer.error?.code, 'invalid-input', label);
      assert.equal(answer.error?.field, field, `${label}: ${answer.error?.message}`);
    }
    assert.equal(attacker.connections, 0, `the attacker's server was reached: ${attacker.requests.join(' | ')}`);
    assert.equal((await sim.control.counters()).tokenGrants, grantsBefore, 'no grant was sent for a refused test');

    // The same button on the deployed settings works (the deployed node's own client), and so does a freshly
    // typed secret with unsaved settings.
    assert.equal(
      (await test({ id: 'cfgA', region: 'custom', apiBaseUrl: sim.url, authBaseUrl: sim.url, clientId: 'sim-client-id', clientSecret: '__PWRD__' }))
        .ok,
      true,
    );
    assert.equal(
      (
        await test({
          region: 'custom',
          apiBaseUrl: `${sim.url}/`,
          authBaseUrl: sim.url,
          clientId: 'sim-client-id',
          clientSecret: 'sim-client-secret',
        })
      ).ok,
      true,
    );
    assert.equal(attacker.connections, 0);
    assertNoSecretsIn(nodeRed!.logs.join('\n'), "Node-RED's log");
  });
});
