// Which Node-RED this test pass runs against: 4.1 (package `node-red`) or 5 (package alias `node-red-5`),
// chosen by scripts/test.js through GENESYS_TEST_NODE_RED.
import * as path from 'node:path';

export const nodeRedMajor = process.env.GENESYS_TEST_NODE_RED === '5' ? 5 : 4;
export const nodeRedPackage = nodeRedMajor === 5 ? 'node-red-5' : 'node-red';
/** Path of the runtime's red.js (what node-red-node-test-helper's init() and a real process need). */
export const nodeRedMain = require.resolve(nodeRedPackage);
export const nodeRedDir = path.dirname(require.resolve(`${nodeRedPackage}/package.json`));

/** node-red-node-test-helper, initialised for the Node-RED of this pass. */
export const helper: any = require('node-red-node-test-helper');
helper.init(nodeRedMain);

/** The project root (dist/testkit -> ../..). */
export const projectRoot = path.resolve(__dirname, '..', '..');

/** Every node type the package registers, written out here (not read from package.json): a type that package.json
 * fails to register then fails the tests that check what Node-RED lists. */
export const OUR_TYPES: readonly string[] = [
  'genesys-cloud-config',
  'genesys-list-participants',
  'genesys-disconnect-participant',
  'genesys-await-terminal',
  'genesys-find-conversations',
  'genesys-events',
];
