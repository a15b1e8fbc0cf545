// Issue 17 in Node-RED: flows with odd config values (refused at deploy naming the field, no request sent),
// JSONata errors that keep their text, a list split that matches nothing (one msg, payload []), 40 msgs after
// invalid_client (a handful of grants, every msg auth-failed), and a malformed HTTPS_PROXY with a password
// (refused naming the variable, the password nowhere on the msg or in the log).
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SIM_CREDENTIALS, expectError, helper, load, run, useNodeTestServer } from '../../testkit/harness';
import { CONFERENCE } from '../../testkit/fixtures';
import { assertNoSecretsIn, registerProxyUrl, registerSecret } from '../reliability/secrets-guard';
import { startTestServer, type TestServer } from '../support/test-server';

describe('hardening in Node-RED (issue 17)', () => {
  const ctx = useNodeTestServer({ seed: CONFERENCE });
  const list = (extra: Record<string, unknown> = {}) => ({ id: 'n1', type: 'genesys-list-participants', wires: [['out1']], ...extra });

  it('odd maxRetryAfterSeconds / requestsPerMinute values are refused at deploy naming the field; every msg fails, nothing is sent', async () => {
    const odd: [string, unknown][] = [
      ['maxRetryAfterSeconds', 0],
      ['maxRetryAfterSeconds', 3601],
      ['maxRetryAfterSeconds', 2 ** 31],
      ['maxRetryAfterSeconds', '99999999999'],
      ['maxRetryAfterSeconds', -5],
      ['maxRetryAfterSeconds', 1.5],
      ['maxRetryAfterSeconds', 'abc'],
      ['maxRetryAfterSeconds', true],
      ['maxRetryAfterSeconds', []],
      ['maxRetryAfterSeconds', '1e4'],
      ['requestsPerMinute', 0],
      ['requestsPerMinute', 'Infinity'],
    ];
    for (const [field, value] of odd) {
      await load(ctx.sim.url, [list()], { config: { [field]: value } });
      const connection = helper.getNode('cfg').connection;
      assert.equal(connection.error?.code, 'invalid-input', `${field}=${JSON.stringify(value)} accepted`);
      assert.equal(connection.error?.field, field);
      for (let i = 0; i < 2; i++) {
        const msg = await expectError('n1', { conversationId: ctx.cid }, 'invalid-input');
        assert.equal(msg.error.field ?? msg._error.field, field);
        assert.match(msg._error.message, new RegExp(`^${field}: `));
      }
      await helper.unload();
    }
    // The bounds themselves are accepted.
    await load(ctx.sim.url, [list()], { config: { maxRetryAfterSeconds: 3600 } });
    assert.equal((await run('n1', { conversationId: ctx.cid })).port, 'out1');
    await helper.unload();
    await load(ctx.sim.url, [list()], { config: { maxRetryAfterSeconds: '1' } });
    assert.equal((await run('n1', { conversationId: ctx.cid })).port, 'out1');
    const c = await ctx.sim.control.counters();
    assert.equal(c.tokenGrants, 2, 'only the two valid configs got a token');
  });

  it('a JSONata expression that throws keeps its text (not [object Object])', async () => {
    const cases: [string, RegExp][] = [
      ['$error("no conversation here")', /no conversation here/],
      ['payload.(', /Expected "\)" before end of expression/],
      ['$number("x")', /Unable to cast value to a number/],
    ];
    for (const [expr, re] of cases) {
      await load(ctx.sim.url, [list({ conversationId: expr, conversationIdType: 'jsonata' })]);
      const msg = await expectError('n1', { payload: 1 }, 'invalid-input');
      assert.match(msg._error.message, re);
      assert.doesNotMatch(msg._error.message, /\[object Object\]/);
      assert.equal(msg._error.field, 'conversationId');
      await helper.unload();
    }
    assert.equal((await ctx.sim.control.counters()).apiRequests, 0);
  });

  it('list, one msg per participant, no match: one msg with payload [] (the msg is never swallowed)', async () => {
    await load(ctx.sim.url, [list({ split: true, target: '{"userId":"0d0d0d0d-4444-4444-8444-dddddddddddd"}', targetType: 'json' })]);
    const o = await run('n1', { conversationId: ctx.cid, req: { marker: 'http-in' } });
    assert.equal(o.port, 'out1');
    assert.deepEqual(o.msg.payload, []);
    assert.equal(o.msg.conversation.id, ctx.cid);
    assert.equal(o.msg.req.marker, 'http-in');
  });

  it('40 msgs after invalid_client: a handful of grants, every msg ends auth-failed', async () => {
    await load(ctx.sim.url, [list()], { credentials: { clientId: SIM_CREDENTIALS.clientId, clientSecret: 'wrong-secret-for-this-test' } });
    const codes: string[] = [];
    for (let i = 0; i < 40; i++) {
      const o = await run('n1', { conversationId: ctx.cid });
      assert.equal(o.port, 'error');
      codes.push(o.msg._error.code);
    }
    assert.deepEqual([...new Set(codes)], ['auth-failed']);
    // Every POST to /oauth/token the simulator saw (refused grants included).
    const log = await ctx.sim.control.requests();
    const grants = log.filter((r) => r.path.startsWith('/oauth/token')).length;
    assert.ok(grants >= 1 && grants <= 5, `${grants} grants for 40 msgs`);
    assert.equal(log.filter((r) => r.path.startsWith('/api/')).length, 0);
    console.log(`      ${grants} grant(s) for 40 msgs after invalid_client`);
    // A redeploy with the right credentials starts afresh at once.
    await helper.unload();
    await load(ctx.sim.url, [list()]);
    assert.equal((await run('n1', { conversationId: ctx.cid })).port, 'out1');
  });

  it('a malformed HTTPS_PROXY holding a password: invalid-input naming it; the password is on no msg and in no log', async () => {
    const saved = process.env.HTTPS_PROXY;
    const password = `Node-Proxy-Pw-${randomBytes(6).toString('hex')}`;
    process.env.HTTPS_PROXY = `http://ops:${password}@proxy host:3128`;
    registerProxyUrl(process.env.HTTPS_PROXY);
    try {
      await load(ctx.sim.url, [list()]);
      const msg = await expectError('n1', { conversationId: ctx.cid }, 'invalid-input');
      assert.equal(msg._error.field, 'HTTPS_PROXY');
      assert.equal(msg.error.cause, undefined);
      assertNoSecretsIn(msg, 'the caught msg');
      const logged = helper.log().args.map((a: unknown[]) => a[0]);
      assertNoSecretsIn(logged, "Node-RED's log");
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
  });

  describe('through Node-RED against a hostile server (not the simulator)', () => {
    let hostile: TestServer | undefined;
    const TOKEN = `node-hostile-token-${randomBytes(12).toString('hex')}`;
    const SECRET = `Node-Hostile-Secret-${randomBytes(8).toString('hex')}`;
    before(() => {
      registerSecret(TOKEN);
      registerSecret(SECRET);
    });
    afterEach(async () => {
      await helper.unload();
      await hostile?.close();
      hostile = undefined;
    });
    const grantOr = (api: (req: any, res: any) => void) => (req: any, res: any) => {
      if (req.path === '/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ access_token: TOKEN, token_type: 'bearer', expires_in: 86_400 }));
      }
      return api(req, res);
    };

    it('an error echoing the bearer token and the secret, 1 MB long: the caught msg and the log hold neither, the text is cut', async () => {
      hostile = await startTestServer(
        grantOr((req, res) => {
          res.writeHead(400, { 'content-type': 'application/json', 'ININ-Correlation-Id': 'corr-node-echo' });
          res.end(
            JSON.stringify({
              code: 'bad.request',
              status: 400,
              message: `you sent ${req.headers.authorization} for ${SECRET} ${'y'.repeat(1024 * 1024)}`,
            }),
          );
        }),
      );
      await load(hostile.origin, [list()], { credentials: { clientId: 'hostile-id', clientSecret: SECRET } });
      const msg = await expectError('n1', { conversationId: ctx.cid }, 'genesys-error');
      assert.equal(msg._error.correlationId, 'corr-node-echo');
      assert.ok(msg._error.message.length < 1300, `${msg._error.message.length} characters`);
      assertNoSecretsIn(msg, 'the caught msg');
      assertNoSecretsIn(
        helper.log().args.map((a: unknown[]) => a[0]),
        "Node-RED's log",
      );
    });

    it('an endless answer: genesys-error naming the cap, the msg is not lost', async () => {
      hostile = await startTestServer(
        grantOr((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, 'z');
          const pump = () => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', pump);
          };
          pump();
        }),
      );
      await load(hostile.origin, [list()], { credentials: { clientId: 'hostile-id', clientSecret: SECRET } });
      const msg = await expectError('n1', { conversationId: ctx.cid }, 'genesys-error');
      assert.match(msg._error.message, /larger than 4194304 bytes \(maxResponseBytes\)/);
    });
  });
});
