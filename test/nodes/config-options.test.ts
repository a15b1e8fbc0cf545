// The config node's options from lib's CONFIG_DEFAULTS, through a real flow: Request timeout (s) bounds how long
// one request may take (here: a local server that never answers), and odd values are refused at deploy naming
// the field.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectError, helper, load, useNodeTestServer } from '../../testkit/harness';

const CID = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

describe('genesys-cloud-config options', () => {
  const ctx = useNodeTestServer();
  const list = { id: 'n1', type: 'genesys-list-participants', wires: [['out1']] };

  it('requestTimeoutSeconds: a request that takes longer fails with network-error after that time', async () => {
    const silent = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await load(url, [list], { config: { requestTimeoutSeconds: '1' } });
      const t0 = Date.now();
      const msg = await expectError('n1', { conversationId: CID }, 'network-error');
      assert.match(msg._error.message, /timed out after 1000 ms/);
      assert.ok(Date.now() - t0 < 15_000);
    } finally {
      await helper.unload();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('requestTimeoutSeconds: odd values are refused at deploy naming the field', async () => {
    for (const value of [0, 3601, 1.5, 'abc', true, '1e3']) {
      await load(ctx.sim.url, [list], { config: { requestTimeoutSeconds: value } });
      assert.equal(helper.getNode('cfg').connection.error?.field, 'requestTimeoutSeconds', JSON.stringify(value));
      await helper.unload();
    }
  });
});
