// The genesys-cloud-sim command, run as a real child process.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, ChildProcess } from 'node:child_process';
import { basic, request } from './helpers';

const CLI = path.resolve(__dirname, '../../sim/cli.js');

function run(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function waitFor(get: () => string, re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = get().match(re);
    if (m) return m;
    if (Date.now() > until) throw new Error(`no ${re} in output:\n${get()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sim: genesys-cloud-sim command', () => {
  it('starts with a scenario file, prints URL and client credentials, logs one line per request (no token), stops on SIGINT', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
    const file = path.join(dir, 'scenario.json');
    const id = 'abababab-abab-4bab-8bab-abababababab';
    fs.writeFileSync(file, JSON.stringify({ conversations: [{ id, participants: [{ purpose: 'customer' }, { purpose: 'agent' }] }] }));
    const p = run(['--port', '0', '--scenario', file, '--rate-limit', '50', '--disconnect-delay', '10', '--analytics-lag', '3600000']);
    try {
      const [, url] = await waitFor(p.out, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      // The lines after the first may come in later chunks (a loaded machine splits them): wait for each.
      await waitFor(p.out, /client id: sim-client-id\s+client secret: sim-client-secret/);
      await waitFor(p.out, new RegExp(id));
      const t = await request(`${url}/oauth/token`, {
        method: 'POST',
        headers: { Authorization: basic('sim-client-id', 'sim-client-secret'), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const r = await request(`${url}/api/v2/conversations/${id}`, { headers: { Authorization: `Bearer ${t.json.access_token}` } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['inin-ratelimit-allowed'], '50');
      // --analytics-lag: the call (started a minute ago) is not in analytics for an hour.
      const interval = `${new Date(Date.now() - 86_400_000).toISOString()}/${new Date(Date.now() + 60_000).toISOString()}`;
      const q = await request(`${url}/api/v2/analytics/conversations/details/query`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${t.json.access_token}` },
        body: { interval },
      });
      assert.equal(q.status, 200, q.text);
      assert.deepEqual(q.json.conversations, []);
      await waitFor(p.out, new RegExp(`GET /api/v2/conversations/${id} 200`));
      assert.ok(!p.out().includes(t.json.access_token), 'the token is never printed');
      p.child.kill('SIGINT');
      assert.equal(await p.exited, 0);
    } finally {
      p.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds the demo scenario by default and refuses bad arguments with exit code 2', async () => {
    const demo = run(['--port', '0', '--quiet']);
    try {
      await waitFor(demo.out, /4 conversation\(s\) seeded: c0a80001-4d2e-4f3a-9b1c-000000000001/);
      demo.child.kill('SIGINT');
      assert.equal(await demo.exited, 0);
    } finally {
      demo.child.kill('SIGKILL');
    }
    const bad = run(['--rate-limit', 'lots']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.out(), /--rate-limit must be an integer/);
    const lag = run(['--analytics-lag', '-5']);
    assert.equal(await lag.exited, 2);
    assert.match(lag.out(), /--analytics-lag must be an integer >= 0/);
    const missing = run(['--scenario', '/nonexistent/file.json']);
    assert.equal(await missing.exited, 2);
    assert.match(missing.out(), /cannot read the scenario/);
  });
});
