// Secrets: nothing the package shows may contain a client secret or an access token.
// - Root hooks (outside any describe: they apply to the WHOLE mocha run, every test file): capture every
//   stdout/stderr write, console call, Node-RED log message and node status of the run, and check it at
//   the end against every registered secret (the sim's default secret, the distinctive secrets below, every
//   token the token tap saw).
// - A real Node-RED process (the launcher) with credentials set: its exported flows (GET /flows), its log
//   (a debug node prints every msg to it), the HTTP answers of a kick flow (success, invalid input, wrong
//   secret) and the "Test connection" admin endpoint.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { start } from '../../sim';
import { helper, nodeRedMain, projectRoot } from '../../testkit/node-red';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { fourParty } from '../../testkit/fixtures';
import { startTokenTap, type TokenTap } from './token-tap';
import { assertNoSecretsIn, finishCapture, installCapture, registerBasic, registerProxyUrl, registerSecret } from './secrets-guard';

before(function () {
  installCapture({ log: helper._log, nodePrototype: helper._NodePrototype });
});
after(function () {
  finishCapture();
});

describe('reliability: the secrets guard itself', () => {
  it('finds a registered secret in nested objects, Error messages and bearer headers', () => {
    const secret = `Guard-Check-${randomBytes(8).toString('hex')}`;
    registerSecret(secret);
    assert.throws(() => assertNoSecretsIn({ a: [{ b: `x${secret}y` }] }, 'nested'), /a secret/);
    assert.throws(() => assertNoSecretsIn({ error: new Error(`failed with ${secret}`) }, 'error'), /a secret/);
    assert.throws(() => assertNoSecretsIn({ headers: { authorization: 'Bearer abcdefgh12345' } }, 'headers'), /bearer/);
    assert.doesNotThrow(() => assertNoSecretsIn({ ok: 'nothing to see' }, 'clean'));
  });

  it('also finds echoed encodings: base64 and URL-encoded secrets, Basic values, proxy URLs with a password', () => {
    const secret = `Guard-Echo-${randomBytes(8).toString('hex')}/+=`;
    const id = `guard-id-${randomBytes(4).toString('hex')}`;
    registerSecret(secret);
    registerBasic(id, secret);
    const basic = Buffer.from(`${id}:${secret}`).toString('base64');
    assert.throws(() => assertNoSecretsIn(`echo ${Buffer.from(secret).toString('base64')}`, 'b64'), /a secret/);
    assert.throws(() => assertNoSecretsIn(`form client_secret=${encodeURIComponent(secret)}`, 'urlenc'), /a secret/);
    assert.throws(() => assertNoSecretsIn({ said: `bad credentials ${basic}` }, 'basic echo'), /a secret/);
    // Any Basic value or URL credentials, registered or not.
    assert.throws(() => assertNoSecretsIn('Authorization: Basic dXNlcjpwYXNzd29yZDEy', 'basic'), /Basic value/);
    assert.throws(() => assertNoSecretsIn('via http://someone:hunter22@proxy.example:3128', 'url'), /URL with a user name and password/);
    const pw = `Guard-Proxy-${randomBytes(6).toString('hex')}`;
    registerProxyUrl(`http://user:${encodeURIComponent(pw)}@bad host:99`);
    assert.throws(() => assertNoSecretsIn(`Invalid URL (input: ${pw})`, 'proxy password'), /a secret/);
    assert.doesNotThrow(() => assertNoSecretsIn('Basic authentication via http://***@proxy.example', 'redacted'));
  });
});

describe('reliability: secrets never leave (real Node-RED process)', function () {
  this.timeout(120_000);
  const SECRET = `Rel-Secret-${randomBytes(12).toString('hex')}`;
  const WRONG_SECRET = `Wrong-Secret-${randomBytes(12).toString('hex')}`;
  const CLIENT_ID = `rel-client-${randomBytes(4).toString('hex')}`;
  let sim: Awaited<ReturnType<typeof start>>;
  let tap: TokenTap;
  let red: NodeRedInstance;
  let userDir: string;

  before(async () => {
    registerSecret(SECRET);
    registerSecret(WRONG_SECRET);
    registerBasic(CLIENT_ID, SECRET);
    registerBasic(CLIENT_ID, WRONG_SECRET);
    sim = await start({ port: 0, clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }] });
    tap = await startTokenTap(sim.url);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-secrets-'));
    red = await launchNodeRed({
      userDir,
      nodesDir: [projectRoot],
      nodeRedMain,
      nodeBin: process.env.GENESYS_TEST_NODE_BIN || process.execPath,
      credentialSecret: 'reliability-suite-only',
      onLog: process.env.REL_DEBUG ? (l) => console.log('[nr]', l) : undefined,
    });
  });
  after(async () => {
    await red?.stop();
    await tap?.close();
    await sim?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('exported flows, logs, http answers, errors and the test-connection answer carry no secret or token', async () => {
    const [conv] = await sim.control.seed({ conversations: [fourParty() as any] });
    const good = { region: 'custom', apiBaseUrl: sim.url, authBaseUrl: tap.url };
    const fromBody = {
      conversationId: 'payload.conversationId',
      conversationIdType: 'msg',
      participantId: 'payload.participantId',
      participantIdType: 'msg',
    };
    await red.deploy([
      { id: 't1', type: 'tab', label: 'secrets' },
      {
        id: 'cfg',
        type: 'genesys-cloud-config',
        name: 'good',
        ...good,
        requestsPerMinute: 300,
        maxRetryAfterSeconds: 180,
        credentials: { clientId: CLIENT_ID, clientSecret: SECRET },
      },
      {
        id: 'bad',
        type: 'genesys-cloud-config',
        name: 'wrong secret',
        ...good,
        requestsPerMinute: 300,
        maxRetryAfterSeconds: 180,
        credentials: { clientId: CLIENT_ID, clientSecret: WRONG_SECRET },
      },
      { id: 'in1', z: 't1', type: 'http in', url: '/kick', method: 'post', wires: [['kick1']] },
      { id: 'in2', z: 't1', type: 'http in', url: '/kick-bad', method: 'post', wires: [['kick2']] },
      { id: 'kick1', z: 't1', type: 'genesys-disconnect-participant', genesys: 'cfg', ...fromBody, confirm: true, wires: [['dbg', 'res']] },
      { id: 'kick2', z: 't1', type: 'genesys-disconnect-participant', genesys: 'bad', ...fromBody, wires: [['dbg', 'res']] },
      { id: 'catcher', z: 't1', type: 'catch', scope: null, uncaught: false, wires: [['dbg', 'errBody']] },
      { id: 'errBody', z: 't1', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '_error', tot: 'msg' }], wires: [['res']] },
      // Every msg, in full, to Node-RED's log (console) and the sidebar.
      { id: 'dbg', z: 't1', type: 'debug', active: true, tosidebar: true, console: true, complete: 'true', targetType: 'full' },
      { id: 'res', z: 't1', type: 'http response', statusCode: '200' },
    ]);
    // The launcher's deploy() can resolve on the "Started flows" of the initial start (it may come after
    // "Server now running"): wait for the one that follows this deploy's "Updated flows".
    await red.waitForLog(/Updated flows/, 0, 30_000);
    await red.waitForLog(/Started flows/, red.logs.findIndex((l) => /Updated flows/.test(l)) + 1, 30_000);

    const post = async (p: string, body: unknown) => {
      const r = await fetch(`${red.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return r.text();
    };
    const ok = await post('/kick', { conversationId: conv.id, participantId: conv.participants[1].id });
    assert.match(ok, /"outcome":"disconnected"/);
    const invalid = await post('/kick', { conversationId: '../../users', participantId: conv.participants[2].id });
    assert.match(invalid, /invalid-input/);
    const denied = await post('/kick-bad', { conversationId: conv.id, participantId: conv.participants[2].id });
    assert.match(denied, /auth-failed|genesys-error/);
    assert.ok(tap.tokens.length >= 1);
    for (const t of tap.tokens) registerSecret(t);

    // "Test connection" with the stored credentials (the editor sends the password placeholder).
    const test = await fetch(`${red.url}/genesys-cloud-config/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'cfg', ...good, clientId: CLIENT_ID, clientSecret: '__PWRD__' }),
    }).then((r) => r.text());
    assert.match(test, /"ok":true/);
    const testBad = await fetch(`${red.url}/genesys-cloud-config/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...good, clientId: CLIENT_ID, clientSecret: WRONG_SECRET }),
    }).then((r) => r.text());
    assert.match(testBad, /"ok":false/);
    for (const t of tap.tokens) registerSecret(t);

    const flows = await fetch(`${red.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } }).then((r) => r.text());
    assert.match(flows, /genesys-cloud-config/);
    const credFile = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');

    assertNoSecretsIn(ok, 'the kick answer');
    assertNoSecretsIn(invalid, 'the invalid-input answer');
    assertNoSecretsIn(denied, 'the auth-failed answer');
    assertNoSecretsIn(test, 'the test-connection answer');
    assertNoSecretsIn(testBad, 'the failed test-connection answer');
    assertNoSecretsIn(flows, 'GET /flows');
    assertNoSecretsIn(credFile, 'flows_cred.json (encrypted at rest)');
    // Give the debug node's console output a moment, then read the whole log of the process.
    await red.waitForLog(/auth-failed|refused/, 0, 5_000).catch(() => undefined);
    assert.ok(
      red.logs.some((l) => l.includes(conv.id)),
      'the debug node logged the msgs',
    );
    assertNoSecretsIn(red.logs.join('\n'), "Node-RED's log");
    // The simulator's request log (bodies included) never holds a token or the secret either.
    assertNoSecretsIn(await sim.control.requests(), "the simulator's request log");
  });
});
