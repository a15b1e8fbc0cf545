// The editors' defaults are lib's: every option default a node's .html gives a new node is the value of the lib
// workflow that owns it (XX_DEFAULTS), handed over by the node's exportable node setting; every dialog checks
// ids the same way (UUID or ${ENV}). The .html scripts run here in a small fake editor (vm): what they register
// is compared with lib.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { AWAIT_DEFAULTS, CONFIG_DEFAULTS, EVENTS_DEFAULTS, FIND_DEFAULTS, KICK_DEFAULTS, LIST_DEFAULTS, MAX_RETRY_AFTER_SECONDS } from '../../lib';
import { projectRoot } from '../../testkit/node-red';
import { ALL_NODES } from '../../testkit/harness';

type Def = { defaults: Record<string, { value: unknown; validate?: (this: unknown, v: unknown, opt?: unknown) => unknown }> };

const LIB: Record<string, Record<string, unknown>> = {
  'genesys-cloud-config': CONFIG_DEFAULTS,
  'genesys-list-participants': LIST_DEFAULTS,
  'genesys-disconnect-participant': KICK_DEFAULTS,
  'genesys-await-terminal': AWAIT_DEFAULTS,
  'genesys-find-conversations': FIND_DEFAULTS,
  'genesys-events': EVENTS_DEFAULTS,
};

/** What each node module registers: its exportable settings (what Node-RED sends the editor) and versions. */
function runtimeSettings(): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const RED = {
    nodes: {
      registerType: (_type: string, _ctor: unknown, opts?: { settings?: Record<string, { value: unknown; exportable?: boolean }> }) => {
        for (const [name, s] of Object.entries(opts?.settings ?? {})) if (s.exportable) settings[name] = s.value;
      },
    },
    httpAdmin: { get: () => undefined, post: () => undefined },
    auth: { needsPermission: () => () => undefined },
  };
  for (const init of ALL_NODES) (init as unknown as (red: unknown) => void)(RED);
  return settings;
}

/** Runs resources/editor.js and every node's .html scripts in a fake editor; returns what they register. */
function editorDefinitions(settings: Record<string, unknown>): Record<string, Def> {
  const registered: Record<string, Def> = {};
  const $ = Object.assign(() => ({ length: 0 }), { extend: (a: object, ...rest: object[]) => Object.assign(a, ...rest) });
  const context: Record<string, unknown> = {
    $,
    RED: {
      settings,
      nodes: { registerType: (type: string, def: Def) => (registered[type] = def), getType: () => ({ _: (key: string) => key }) },
    },
  };
  context.window = context;
  vm.createContext(context);
  const run = (file: string, text: string) => vm.runInContext(text, context, { filename: file });
  const shared = path.join(projectRoot, 'resources', 'editor.js');
  run(shared, fs.readFileSync(shared, 'utf8'));
  for (const type of Object.keys(LIB)) {
    const file = path.join(projectRoot, 'nodes', type, `${type}.html`);
    const html = fs.readFileSync(file, 'utf8');
    assert.match(
      html,
      /<script type="text\/javascript" src="resources\/node-red-contrib-genesys-participants\/editor\.js"><\/script>/,
      `${type}.html loads the shared editor code`,
    );
    for (const m of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) run(file, m[1]);
  }
  return registered;
}

describe('editor defaults come from lib', () => {
  const settings = runtimeSettings();
  const defs = editorDefinitions(settings);

  for (const [type, lib] of Object.entries(LIB)) {
    it(`${type}: every option default of the .html is lib's, and new nodes get the current version`, () => {
      const def = defs[type];
      assert.ok(def, `${type} registered in the editor`);
      for (const [key, value] of Object.entries(lib)) {
        assert.ok(def.defaults[key], `${type}.html has a default for ${key}`);
        assert.equal(def.defaults[key].value, value, `${type}.html default of ${key}`);
      }
      const migrations = require(path.join(projectRoot, 'dist', 'nodes', type, 'migrations.js')).MIGRATIONS as unknown[];
      assert.equal(def.defaults.version?.value, migrations.length, `${type}.html: version`);
    });
  }

  it("each flow node's catalog has the labels the shared registration reads (paletteLabel, inputLabel, outputLabel(s))", () => {
    for (const type of Object.keys(LIB).filter((t) => t !== 'genesys-cloud-config')) {
      const catalog = JSON.parse(fs.readFileSync(path.join(projectRoot, 'nodes', type, 'locales', 'en-US', `${type}.json`), 'utf8'))[type];
      assert.equal(typeof catalog.paletteLabel, 'string', type);
      // A node without an input (the event source) has no input label.
      if ((defs[type] as { inputs?: number }).inputs !== 0) assert.equal(typeof catalog.inputLabel, 'string', type);
      assert.ok(typeof catalog.outputLabel === 'string' || typeof catalog.outputLabels === 'object', type);
    }
  });

  it("the config dialog refuses maxRetryAfterSeconds above lib's limit", () => {
    const validate = defs['genesys-cloud-config'].defaults.maxRetryAfterSeconds.validate!;
    assert.equal(validate.call({}, String(MAX_RETRY_AFTER_SECONDS)), true);
    assert.equal(
      settings.genesysCloudConfigDefaults && (settings.genesysCloudConfigDefaults as { maxSeconds: number }).maxSeconds,
      MAX_RETRY_AFTER_SECONDS,
    );
    assert.equal(validate.call({}, String(MAX_RETRY_AFTER_SECONDS + 1)), false);
  });

  it('the events dialog takes each topic row as a kind and a UUID or ${ENV_VAR} (or an env variable name), nothing else', () => {
    const validate = defs['genesys-events'].defaults.topics.validate!;
    const id = '0f6d3f5e-1a2b-4c3d-8e9f-001122334455';
    const rows = (...r: Record<string, unknown>[]) => r;
    assert.equal(validate.call({}, rows({ kind: 'queue', id, idType: 'str' }, { kind: 'user', id: '${USER}', idType: 'str' })), true);
    assert.equal(validate.call({}, rows({ kind: 'conversation', id: 'MY_CONVERSATION', idType: 'env' })), true);
    for (const bad of [
      rows(),
      rows({ kind: 'queue', id: 'not-an-id', idType: 'str' }),
      rows({ kind: 'skill', id, idType: 'str' }),
      rows({ kind: 'queue', id: '', idType: 'env' }),
    ])
      assert.equal(validate.call({}, bad), false, JSON.stringify(bad));
    assert.match(String(validate.call({}, rows({ kind: 'queue', id: 'x', idType: 'str' }), {})), /errors\.uuid/);
  });

  it('every dialog takes a typed id as a UUID or ${ENV_VAR} and refuses anything else', () => {
    const fields: [string, string][] = [
      ['genesys-list-participants', 'conversationId'],
      ['genesys-disconnect-participant', 'conversationId'],
      ['genesys-disconnect-participant', 'participantId'],
      ['genesys-disconnect-participant', 'wrapupCode'],
      ['genesys-await-terminal', 'conversationId'],
      ['genesys-await-terminal', 'participantId'],
      ['genesys-find-conversations', 'who'],
    ];
    for (const [type, field] of fields) {
      const validate = defs[type].defaults[field].validate!;
      const node = { [`${field}Type`]: 'str', searchBy: 'userId' };
      assert.equal(validate.call(node, '0f6d3f5e-1a2b-4c3d-8e9f-001122334455'), true, `${type} ${field}: a UUID`);
      assert.equal(validate.call(node, '${GENESYS_ID}'), true, `${type} ${field}: \${ENV}`);
      assert.equal(validate.call(node, ''), true, `${type} ${field}: empty`);
      assert.equal(validate.call(node, 'not-an-id'), false, `${type} ${field}: refused`);
      assert.match(String(validate.call(node, 'not-an-id', {})), /errors\.uuid/, `${type} ${field}: the reason`);
    }
  });
});
