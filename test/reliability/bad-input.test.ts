// Bad input corpus: over a hundred malformed inputs across the three flow nodes and the config node.
// Each one must end in a Catch-able 'invalid-input' error whose message names the field, must send nothing
// to the simulator (no API request, no token grant), must not echo a huge value back, and the node must
// go on working: a valid msg right after each bad one succeeds.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { start } from '../../sim';
import { Collector, caughtError, helper, load, useNodeRed, type Outcome } from '../../testkit/harness';
import { fourParty, seedMany } from '../../testkit/fixtures';

const UUID = '3f9c1e2a-5b7d-4c8e-9f10-a1b2c3d4e5f6';
const MB = 'x'.repeat(1024 * 1024);

/** Bad values for a Genesys id field (conversationId, participantId). */
function badIds(): [string, unknown][] {
  return [
    ['empty string', ''],
    ['whitespace', '   \t '],
    ['not a uuid', 'abc'],
    ['path traversal', '../../users'],
    ['deep path traversal', '../../../api/v2/users/me'],
    ['encoded traversal', '%2e%2e%2fusers'],
    ['uuid plus a path', `${UUID}/disconnect`],
    ['uuid plus a query', `${UUID}?force=true`],
    ['uuid with a newline and a path', `${UUID}\n/api/v2/users`],
    ['uuid with a bad hex digit', '3f9c1e2a-5b7d-4c8e-9f10-a1b2c3d4e5fg'],
    ['1 MB string', MB],
    ['number', 12345],
    ['boolean', true],
    ['empty array', []],
    ['array holding a uuid', [UUID]],
    ['object', { id: UUID }],
    ['object whose toString is a uuid', { toString: () => UUID }],
    ['null', null],
  ];
}

function badSelectors(): [string, unknown, string][] {
  return [
    ['array', [{ userId: UUID }], 'target'],
    ['string', 'agent', 'target'],
    ['number', 42, 'target'],
    ['boolean', true, 'target'],
    ['no fields', {}, 'target'],
    ['unknown key', { foo: 'bar' }, 'target'],
    ['__proto__ key (own, from JSON.parse)', JSON.parse('{"__proto__":{"userId":"x"},"purpose":"agent"}'), 'target'],
    ['constructor key', JSON.parse('{"constructor":{"prototype":{}}}'), 'target'],
    ['unknown purpose', { purpose: 'wizard' }, 'target.purpose'],
    ['purpose as array', { purpose: ['agent'] }, 'target.purpose'],
    ['userId not a uuid', { userId: '../../users' }, 'target.userId'],
    ['userId a number', { userId: 5 }, 'target.userId'],
    ['queueId an object', { queueId: { id: UUID } }, 'target.queueId'],
    ['1 MB name', { name: MB }, 'target.name'],
  ];
}

function badTimeouts(): [string, unknown][] {
  return [
    ['0', 0],
    ['-1', -1],
    ['NaN', NaN],
    ['"abc"', 'abc'],
    ['Infinity', Infinity],
    ['over a day', 86_401 * 10],
    ['array', [5]],
    ['object', { s: 5 }],
    ['boolean', true],
  ];
}

describe('reliability: bad input corpus', function () {
  this.timeout(120_000);
  let sim: Awaited<ReturnType<typeof start>>;
  let collector: Collector;
  let conferences: any[];
  let nextConference = 0;
  let endedLeg: { conversationId: string; participantId: string };
  let cases = 0;

  useNodeRed();
  before(async () => {
    sim = await start({ port: 0, rateLimitPerMinute: 100_000 });
    conferences = await seedMany(
      sim.control,
      Array.from({ length: 60 }, () => fourParty()),
    );
    const [ended] = await sim.control.seed({
      conversations: [
        {
          participants: [
            { purpose: 'agent', userId: randomUUID(), state: 'disconnected', disconnectType: 'client' },
            { purpose: 'customer' },
            { purpose: 'agent', userId: randomUUID() },
          ],
        },
      ],
    });
    endedLeg = { conversationId: ended.id, participantId: ended.participants[0].id };
  });
  after(async () => {
    collector?.close();
    await sim.close();
    console.log(`      bad input corpus: ${cases} malformed inputs rejected with no request sent`);
  });

  const origins = () => ({ apiBaseUrl: sim.url, authBaseUrl: sim.url });

  async function loadNodes(config: Record<string, unknown> = {}, credentials?: Record<string, unknown>): Promise<void> {
    collector?.close();
    await helper.unload();
    await load(
      origins(),
      [
        { id: 'list', type: 'genesys-list-participants', wires: [['out1']] },
        { id: 'kick', type: 'genesys-disconnect-participant', wires: [['out1']] },
        { id: 'await', type: 'genesys-await-terminal', timeout: '', wires: [['out1'], ['out2']] },
      ],
      { config: { requestsPerMinute: 100_000, ...config }, credentials },
    );
    collector = new Collector();
  }

  async function send(node: string, msg: Record<string, unknown>): Promise<Outcome> {
    const before = collector.outcomes.length;
    helper.getNode(node).receive(msg);
    await collector.waitFor(before + 1, 15_000);
    return collector.outcomes[before];
  }

  async function requestCount(): Promise<number> {
    const c = await sim.control.counters();
    return c.apiRequests + c.tokenGrants;
  }

  /** The bad msg: invalid-input naming `field`, nothing sent, a short message. */
  async function expectRejected(node: string, msg: Record<string, unknown>, field: string, label: string): Promise<void> {
    const before = await requestCount();
    const o = await send(node, msg);
    assert.equal(o.port, 'error', `${label}: expected an error, got ${o.port}`);
    const e = caughtError(o.msg);
    assert.ok(e, `${label}: the caught msg carries our error`);
    assert.equal(e.code, 'invalid-input', `${label}: ${e.code} ${e.message}`);
    assert.ok(e.field === field || e.message.includes(field), `${label}: the error names ${field}: ${e.message}`);
    assert.ok(
      e.message.length < 1_000,
      `${label}: the message is short (the region list at most, never the bad value in full) (${e.message.length} chars)`,
    );
    assert.equal(await requestCount(), before, `${label}: a request reached the simulator`);
    cases++;
  }

  /** A valid msg to the same node still works. */
  async function expectWorks(node: string): Promise<void> {
    let msg: Record<string, unknown>;
    if (node === 'list') msg = { conversationId: conferences[0].id };
    else if (node === 'await') msg = { ...endedLeg, timeout: 5 };
    else {
      const c = conferences[nextConference++];
      msg = { conversationId: c.id, participantId: c.participants[1].id };
    }
    const o = await send(node, msg);
    assert.equal(o.port, 'out1', `${node} works after bad input: ${JSON.stringify(caughtError(o.msg) ?? o.msg.payload).slice(0, 200)}`);
  }

  it('conversationId: 18 bad values on each of the three flow nodes', async () => {
    await loadNodes();
    for (const node of ['list', 'kick', 'await']) {
      for (const [label, value] of badIds()) {
        const extra = node === 'list' ? {} : { participantId: UUID };
        await expectRejected(node, { conversationId: value, ...extra }, 'conversationId', `${node} conversationId ${label}`);
        if (node !== 'kick' || label === 'null') await expectWorks(node);
      }
      await expectWorks(node);
    }
  });

  it('participantId: bad values on the kick and the await; a kick with neither id nor selector', async () => {
    await loadNodes();
    const cid = conferences[59].id;
    for (const node of ['kick', 'await']) {
      for (const [label, value] of badIds().filter(([l]) => !['null', 'empty string', 'whitespace'].includes(l))) {
        await expectRejected(node, { conversationId: cid, participantId: value }, 'participantId', `${node} participantId ${label}`);
      }
      await expectWorks(node);
    }
    await expectRejected('kick', { conversationId: cid }, 'participantId', 'kick with no participant and no selector');
    await expectRejected('kick', { conversationId: cid, participantId: '', target: null }, 'participantId', 'kick with empty id and null target');
    await expectWorks('kick');
  });

  it('target selector: malformed selectors on the kick and the list', async () => {
    await loadNodes();
    const cid = conferences[58].id;
    for (const node of ['kick', 'list']) {
      for (const [label, value, field] of badSelectors()) {
        await expectRejected(node, { conversationId: cid, target: value }, field, `${node} target ${label}`);
      }
      await expectWorks(node);
    }
  });

  it('await timeout: 0, -1, NaN, "abc", Infinity, too long, wrong types', async () => {
    await loadNodes();
    for (const [label, value] of badTimeouts()) {
      await expectRejected('await', { ...endedLeg, timeout: value }, 'timeout', `await timeout ${label}`);
    }
    await expectWorks('await');
  });

  it('config node: unknown region, http to a non-loopback host, bad origins, empty credentials, bad limits', async () => {
    const bad: [string, Record<string, unknown>, Record<string, unknown> | undefined, string][] = [
      ['unknown region', { region: 'mars.example.invalid' }, undefined, 'region'],
      ['http api to a non-loopback host', { apiBaseUrl: 'http://api.genesys.example.invalid' }, undefined, 'apiBaseUrl'],
      ['http login to a non-loopback host', { authBaseUrl: 'http://login.genesys.example.invalid' }, undefined, 'authBaseUrl'],
      ['ftp origin', { apiBaseUrl: 'ftp://127.0.0.1:21' }, undefined, 'apiBaseUrl'],
      ['not a url', { apiBaseUrl: 'not a url' }, undefined, 'apiBaseUrl'],
      ['custom region without origins', { apiBaseUrl: '', authBaseUrl: '' }, undefined, 'apiBaseUrl'],
      ['empty client id', {}, { clientId: '', clientSecret: 'sim-client-secret' }, 'clientId'],
      ['whitespace client id', {}, { clientId: '  \t', clientSecret: 'sim-client-secret' }, 'clientId'],
      ['empty client secret', {}, { clientId: 'sim-client-id', clientSecret: '' }, 'clientSecret'],
      ['whitespace client secret', {}, { clientId: 'sim-client-id', clientSecret: ' \n ' }, 'clientSecret'],
      ['missing credentials', {}, {}, 'clientId'],
      ['unset env var as secret', {}, { clientId: 'sim-client-id', clientSecret: '${GENESYS_RELIABILITY_UNSET_VAR}' }, 'clientSecret'],
      ['requestsPerMinute "abc"', { requestsPerMinute: 'abc' }, undefined, 'requestsPerMinute'],
      ['requestsPerMinute 0', { requestsPerMinute: 0 }, undefined, 'requestsPerMinute'],
      ['requestsPerMinute -1', { requestsPerMinute: -1 }, undefined, 'requestsPerMinute'],
      ['maxRetryAfterSeconds NaN', { maxRetryAfterSeconds: 'NaN' }, undefined, 'maxRetryAfterSeconds'],
    ];
    for (const [label, config, credentials, field] of bad) {
      await loadNodes(config, credentials);
      await expectRejected('list', { conversationId: conferences[0].id }, field, `config ${label}`);
    }
    // The same flow with a valid config works again.
    await loadNodes();
    await expectWorks('list');
  });

  // Checked on the deployed config node, without a msg: with the bug, a msg would send a token grant to the
  // real login.mypurecloud.com (this machine has no network, but a test must never try).
  it('config node: a region of the wrong type (a number) is invalid-input, not the default region', async () => {
    await loadNodes({ region: 42 });
    const connection = helper.getNode('cfg').connection;
    assert.equal(connection.error?.code, 'invalid-input', `the config node accepted region 42 and uses ${connection.client?.origins?.authBaseUrl}`);
    assert.equal(connection.error?.field, 'region');
  });

  it('covers at least 60 malformed inputs', () => {
    assert.ok(cases >= 60, `${cases} cases`);
  });
});
