// `npm start`'s demo as a user runs it: `node dist/scripts/demo.js` with PORT=0, the URL it prints, the curl
// command it prints (sent as is), the compliance button, and Ctrl-C (SIGINT) ending it and its Node-RED.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimControl } from '../../sim';
import { projectRoot } from '../../testkit/node-red';
import { assertNoTeardown } from '../../testkit/no-teardown';

const CAROL_CONVERSATION = '5d7a3f2e-1c4b-4e8a-9f6d-2b3c4d5e6f70';
const CAROL = '8c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const COMPLIANCE_INJECT = 'a200000000000002';
const AUTO_EJECT_INJECT = 'a60000000000000a';
const AUTO_EJECT_CONVERSATION = 'c0a80001-4d2e-4f3a-9b1c-000000000001';
const DENIED_USER = 'de000000-0000-4000-8000-000000000666';

interface SimParticipant {
  id: string;
  purpose: string;
  userId?: string;
  state: string;
}

describe('e2e: npm start (the demo)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let out = '';
  let tmp: string;
  let nodeRedUrl: string;
  let simUrl: string;

  function waitForOutput(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        const m = re.exec(out);
        if (m) return resolve(m);
        if (child?.exitCode !== null) return reject(new Error(`demo exited (${child?.exitCode}) before printing ${re}:\n${out}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`demo did not print ${re} within ${timeoutMs} ms:\n${out}`));
        setTimeout(tick, 100);
      };
      tick();
    });
  }

  async function conversation(id: string): Promise<SimParticipant[]> {
    const res = await fetch(`${simUrl}/__sim/conversations/${id}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { participants: SimParticipant[] }).participants;
  }

  before(async function () {
    this.timeout(120_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-demo-'));
    child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'scripts', 'demo.js')], {
      cwd: projectRoot,
      // Its own process group: if the test fails midway, after() can end the demo and its Node-RED together.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: '0',
        SIM_PORT: '0',
        DEMO_USER_DIR: path.join(tmp, 'user'),
        GENESYS_REGION: '',
        GENESYS_CLIENT_ID: '',
        GENESYS_CLIENT_SECRET: '',
      },
    });
    exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    nodeRedUrl = (await waitForOutput(/is running: (http:\/\/127\.0\.0\.1:\d+)\//))[1];
    simUrl = (await waitForOutput(/simulator at (http:\/\/127\.0\.0\.1:\d+)/))[1];
    await waitForOutput(/Ctrl-C stops everything/);
  });

  after(async function () {
    this.timeout(30_000);
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('prints the real URL of Node-RED (PORT=0: a port the OS picked) and serves the editor there', async () => {
    assert.doesNotMatch(nodeRedUrl, /:0$|:1880$/);
    const res = await fetch(`${nodeRedUrl}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Node-RED/);
  });

  it('the printed curl command kicks that agent: the right leg leaves, the others stay', async () => {
    const m = /curl -s -X POST (\S+)\/kick .*?\s+-d '(\{[^']+\})'/s.exec(out);
    assert.ok(m, `the demo prints a curl command:\n${out}`);
    assert.equal(m[1], nodeRedUrl);
    const body = JSON.parse(m[2]) as { conversationId: string; userId: string };
    const before = await conversation(body.conversationId);
    const leg = before.find((p) => p.userId === body.userId && p.state === 'connected');
    assert.ok(leg, 'the printed user has a live leg in the printed conversation');
    const res = await fetch(`${m[1]}/kick`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: m[2] });
    const answer = (await res.json()) as { outcome?: string; participantId?: string };
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.outcome, 'disconnected');
    assert.equal(answer.participantId, leg.id);
    const after = await conversation(body.conversationId);
    for (const p of after) {
      const was = before.find((b) => b.id === p.id)!;
      if (p.id === leg.id) assert.ok(['disconnected', 'terminated'].includes(p.state), `kicked leg is ${p.state}`);
      else assert.equal(p.state, was.state, `${p.purpose} ${p.id} unchanged`);
    }
  });

  it('the "flag Carol (demo)" button ejects Carol from the demo conference, and only her', async () => {
    const before = await conversation(CAROL_CONVERSATION);
    assert.ok(
      before.some((p) => p.userId === CAROL && p.state === 'connected'),
      'demo.json holds Carol live',
    );
    const res = await fetch(`${nodeRedUrl}/inject/${COMPLIANCE_INJECT}`, { method: 'POST' });
    assert.equal(res.status, 200);
    const deadline = Date.now() + 15_000;
    let after = before;
    while (Date.now() < deadline) {
      after = await conversation(CAROL_CONVERSATION);
      if (after.some((p) => p.userId === CAROL && p.state !== 'connected')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of after) {
      if (p.userId === CAROL) assert.ok(['disconnected', 'terminated'].includes(p.state), `Carol is ${p.state}`);
      else assert.equal(p.state, 'connected', `${p.purpose} stays`);
    }
  });

  it('the "a denied user joins (demo)" button: the simulator adds the user to a queue call, auto-eject removes that user only', async () => {
    const before = await conversation(AUTO_EJECT_CONVERSATION);
    const res = await fetch(`${nodeRedUrl}/inject/${AUTO_EJECT_INJECT}`, { method: 'POST' });
    assert.equal(res.status, 200);
    const deadline = Date.now() + 15_000;
    let after = before;
    while (Date.now() < deadline) {
      after = await conversation(AUTO_EJECT_CONVERSATION);
      if (after.some((p) => p.userId === DENIED_USER && p.state !== 'connected')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const denied = after.find((p) => p.userId === DENIED_USER);
    assert.ok(denied, `the demo button added the denied user:\n${out.slice(-2000)}`);
    assert.ok(['disconnected', 'terminated'].includes(denied.state), `the denied user is ${denied.state}`);
    for (const p of before.filter((b) => b.state === 'connected'))
      assert.equal(after.find((a) => a.id === p.id)!.state, 'connected', `${p.purpose} ${p.id} stays`);
  });

  it('never called an endpoint that ends the call for everyone', async () => {
    await assertNoTeardown(new SimControl(simUrl));
  });

  it('Ctrl-C (SIGINT) stops Node-RED and the simulator, and the demo exits 0', async () => {
    child!.kill('SIGINT');
    const timer = setTimeout(() => {
      try {
        process.kill(-child!.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 20_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, out.slice(-2000));
    await assert.rejects(fetch(`${nodeRedUrl}/`), 'Node-RED no longer answers');
    await assert.rejects(fetch(`${simUrl}/__sim/counters`), 'the simulator no longer answers');
  });
});
