import * as assert from 'node:assert/strict';
import { helper, nodeRedMajor } from '../../testkit/node-red';

describe('toolchain', () => {
  it(`runs Node-RED ${nodeRedMajor} through the test helper`, () => {
    const version: string = helper._RED.version();
    assert.equal(Number(version.split('.')[0]), nodeRedMajor);
  });
});
