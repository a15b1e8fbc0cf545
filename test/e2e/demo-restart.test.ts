// `npm start` twice on one user dir, as a user does: the demo's entry point (node dist/scripts/demo.js, a real
// process with its real Node-RED), a tab of the user's own deployed through the Admin API (with its own config
// node pointing at the demo's simulator), Ctrl-C, `npm start` again. The user's tab is still there, the example
// tabs are back as shipped (once each), and the simulator is on the same port, so the user's config node still
// reaches it. The simulator port is one this test picked (SIM_PORT), never the default 8089.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { exampleFlows, type FlowNode } from '../../scripts/example-flows';
import { projectRoot } from '../../testkit/node-red';
import { useTempDir } from '../support/temp-dir';

const DEMO_CONVERSATION = 'c0a80001-4d2e-4f3a-9b1c-000000000001'; // the first conversation of sim/scenarios/demo.json
const COMPLIANCE_INJECT = 'a200000000000002';
const USER_TAB = 'e2e0f1e5000000a1';
const USER_CONFIG = 'e2e0f1e5000000c1';

/** A port nobody listens on now: the OS picks it, the test frees it and hands it to the demo. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Demo {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  nodeRedUrl: string;
  simUrl: string;
}

async function startDemo(userDir: string, simPort: number): Promise<Demo> {
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'scripts', 'demo.js')], {
    cwd: projectRoot,
    detached: true, // its own process group: a failed test can end the demo and its Node-RED together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      SIM_PORT: String(simPort),
      DEMO_USER_DIR: userDir,
      GENESYS_REGION: '',
      GENESYS_CLIENT_ID: '',
      GENESYS_CLIENT_SECRET: '',
    },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/Ctrl-C stops everything/.test(out)) {
    if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      kill(child);
      throw new Error(`the demo did not start within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const nodeRedUrl = /is running: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1];
  const simUrl = /simulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
  return { child, exited, output: () => out, nodeRedUrl, simUrl };
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Ctrl-C, as a user stops it; the demo must exit 0 within 20 s. */
async function stopDemo(demo: Demo): Promise<void> {
  demo.child.kill('SIGINT');
  const timer = setTimeout(() => kill(demo.child), 20_000);
  const code = await demo.exited;
  clearTimeout(timer);
  assert.equal(code, 0, demo.output().slice(-2000));
}

async function flows(nodeRedUrl: string): Promise<FlowNode[]> {
  const res = await fetch(`${nodeRedUrl}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
  assert.equal(res.status, 200);
  return (await res.json()) as FlowNode[];
}

/** The user's tab: POST /my-list -> list participants through the user's own config node -> http response. */
function userTab(simUrl: string): FlowNode[] {
  return [
    { id: USER_TAB, type: 'tab', label: 'My flows', disabled: false, info: '' },
    {
      id: USER_CONFIG,
      type: 'genesys-cloud-config',
      name: 'my simulator',
      region: 'custom',
      apiBaseUrl: simUrl,
      authBaseUrl: simUrl,
      requestsPerMinute: 300,
      maxRetryAfterSeconds: 180,
      credentials: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
    },
    {
      id: 'e2e0f1e500000001',
      type: 'http in',
      z: USER_TAB,
      name: '',
      url: '/my-list',
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 120,
      y: 80,
      wires: [['e2e0f1e500000002']],
    },
    {
      id: 'e2e0f1e500000002',
      type: 'genesys-list-participants',
      z: USER_TAB,
      name: 'my list',
      genesys: USER_CONFIG,
      conversationId: 'payload.conversationId',
      conversationIdType: 'msg',
      target: 'target',
      targetType: 'msg',
      liveOnly: false,
      split: false,
      x: 320,
      y: 80,
      wires: [['e2e0f1e500000003']],
    },
    { id: 'e2e0f1e500000003', type: 'http response', z: USER_TAB, name: '', statusCode: '', headers: {}, x: 500, y: 80, wires: [] },
  ];
}

/** POST /my-list; /flows answers a deploy before the flows have started, so a 404 (no such route yet) is retried. */
async function myList(nodeRedUrl: string): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${nodeRedUrl}/my-list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: DEMO_CONVERSATION }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.text();
    if (res.status !== 404 || Date.now() > deadline) {
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("e2e: npm start again keeps the user's tabs and the simulator's port", function () {
  this.timeout(120_000);
  let demo: Demo | undefined;
  const tmp = useTempDir('genesys-demo-restart-', async () => {
    if (demo) {
      kill(demo.child);
      await demo.exited;
    }
  });

  it('deploy a tab, Ctrl-C, npm start: the tab is still there, the examples are as shipped, the simulator on the same port', async () => {
    const userDir = path.join(tmp(), 'user');
    const simPort = await freePort();

    demo = await startDemo(userDir, simPort);
    const firstSimUrl = demo.simUrl;
    assert.equal(firstSimUrl, `http://127.0.0.1:${simPort}`, 'the simulator listens on SIM_PORT');
    assert.doesNotMatch(demo.output(), /Projects disabled|Encrypted credentials not found/, 'no first-start noise');

    // The user's own tab next to the examples, and an edit on an example tab (npm start puts it back).
    const deployed = await flows(demo.nodeRedUrl);
    const edited = deployed.map((n) => (n.id === COMPLIANCE_INJECT ? { ...n, name: 'renamed by the user' } : n));
    const res = await fetch(`${demo.nodeRedUrl}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
      body: JSON.stringify([...edited, ...userTab(firstSimUrl)]),
    });
    assert.equal(res.status, 204, await res.text());
    const beforeRestart = await myList(demo.nodeRedUrl);
    assert.equal(beforeRestart.status, 200, JSON.stringify(beforeRestart.body));
    await stopDemo(demo);

    demo = await startDemo(userDir, simPort);
    assert.equal(demo.simUrl, firstSimUrl, 'the simulator is on the same port');
    const after = await flows(demo.nodeRedUrl);
    const byId = new Map(after.map((n) => [n.id, n]));
    for (const n of userTab(firstSimUrl)) {
      const kept = byId.get(n.id);
      assert.ok(kept, `the user's ${n.type} ${n.id} is still deployed`);
      for (const key of ['type', 'z', 'url', 'genesys', 'apiBaseUrl', 'label'] as const) assert.deepEqual(kept[key], n[key], `${n.id}.${key}`);
    }
    // Every example node once, as shipped (the user's rename is undone), and nothing else but the user's tab.
    const shipped = exampleFlows(projectRoot, {});
    for (const n of shipped) assert.equal(after.filter((a) => a.id === n.id).length, 1, `example node ${n.id} deployed once`);
    assert.equal(byId.get(COMPLIANCE_INJECT)!.name, 'flag Carol (demo)');
    assert.equal(after.length, shipped.length + userTab(firstSimUrl).length);
    assert.equal(after.find((n) => n.type === 'tab')!.label, 'Compliance eject', 'the editor opens on the first step of the README');

    // The user's config node (and its credentials) still reach the simulator: same port, same answer.
    const afterRestart = await myList(demo.nodeRedUrl);
    assert.equal(afterRestart.status, 200, JSON.stringify(afterRestart.body));
    assert.deepEqual(
      (afterRestart.body as Array<{ id: string }>).map((p) => p.id),
      (beforeRestart.body as Array<{ id: string }>).map((p) => p.id),
    );
    await stopDemo(demo);
    demo = undefined;
  });
});
