// The editor side in a real Chromium: palette, every edit dialog (fields, help, validation), the config
// node's "Test connection" against the simulator, importing each example from the menu, and that no example
// uses a property our node types do not define. Screenshots of each dialog go to test-artifacts/screenshots/
// (light theme; dark theme too on Node-RED 5, which has one).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { start, type SimHandle } from '../../sim';
import { exampleFiles, readExample } from '../../scripts/example-flows';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { dropFromPalette, launchBrowser, openEditDialog, openEditor, screenshot, type Browser } from '../support/browser';
import { nodeRedMain, nodeRedMajor, projectRoot } from '../../testkit/node-red';
import { until } from '../support/until';

const PACKAGE = 'node-red-contrib-genesys-participants';
const FLOW_TYPES = [
  'genesys-list-participants',
  'genesys-disconnect-participant',
  'genesys-await-terminal',
  'genesys-find-conversations',
  'genesys-events',
];
/** Keys every node may carry that are not in its type's defaults. */
const STANDARD_KEYS = new Set([
  'id',
  'type',
  'z',
  'x',
  'y',
  'w',
  'h',
  'wires',
  'g',
  'd',
  'l',
  'credentials',
  'info',
  'icon',
  'inputLabels',
  'outputLabels',
  '_users',
]);

interface DialogSpec {
  type: string;
  /** Inputs the dialog must have (without the node-input- prefix). */
  fields: string[];
  /** A sentence of the help text. */
  help: string;
  /** Puts one bad value in the open dialog; returns the field it made invalid. */
  makeInvalid(page: Page): Promise<string>;
  /** What the invalid field's tooltip says (the validator's reason, from the en-US locale). */
  reason: RegExp;
  /** The Genesys id fields of the dialog: each accepts a UUID and ${ENV_VAR}, refuses anything else. */
  idFields: string[];
}

/** Sets a TypedInput field (the way the user does with its type menu and text box). */
async function setTyped(page: Page, field: string, type: string, value: string): Promise<void> {
  await page.evaluate(
    ([f, t, v]) => {
      const $ = (window as any).$;
      const input = $(`#node-input-${f}`);
      input.typedInput('type', t);
      input.typedInput('value', v);
      input.trigger('change');
    },
    [field, type, value],
  );
}
async function setText(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
  await page.locator(selector).dispatchEvent('change');
}

const DIALOGS: DialogSpec[] = [
  {
    type: 'genesys-list-participants',
    fields: ['genesys', 'conversationId', 'target', 'liveOnly', 'split', 'name'],
    help: 'Reads a Genesys Cloud conversation and outputs its participants',
    async makeInvalid(page) {
      await setTyped(page, 'conversationId', 'str', 'not-a-uuid');
      return 'conversationId';
    },
    reason: /^Conversation: must be a Genesys id \(a UUID such as [0-9a-f-]{36}\), or \$\{ENV_VAR\}$/,
    idFields: ['conversationId'],
  },
  {
    type: 'genesys-disconnect-participant',
    fields: [
      'genesys',
      'conversationId',
      'participantId',
      'target',
      'refuseCustomer',
      'keepCallAlive',
      'dryRun',
      'confirm',
      'confirmTimeout',
      'wrapupCode',
      'wrapupNotes',
      'name',
    ],
    help: 'Removes exactly one participant from a live Genesys Cloud call or conference',
    async makeInvalid(page) {
      await setTyped(page, 'participantId', 'str', '12345');
      return 'participantId';
    },
    reason: /^Participant: must be a Genesys id \(a UUID such as [0-9a-f-]{36}\), or \$\{ENV_VAR\}$/,
    idFields: ['conversationId', 'participantId', 'wrapupCode'],
  },
  {
    type: 'genesys-await-terminal',
    fields: ['genesys', 'conversationId', 'participantId', 'timeout', 'name'],
    help: 'Waits until a participant has left a Genesys Cloud conversation',
    async makeInvalid(page) {
      await setText(page, '#node-input-timeout', '-1');
      return 'timeout';
    },
    reason: /^Timeout: must be a number of seconds greater than 0 and at most 86400 \(24 h\)$/,
    idFields: ['conversationId', 'participantId'],
  },
  {
    type: 'genesys-find-conversations',
    fields: ['genesys', 'searchBy', 'who', 'mediaType', 'intervalHours', 'split', 'name'],
    help: 'Finds the live Genesys Cloud conversations of a user',
    async makeInvalid(page) {
      await setTyped(page, 'who', 'str', 'not-a-uuid');
      return 'who';
    },
    reason: /^Who: must be a Genesys id \(a UUID such as [0-9a-f-]{36}\), or \$\{ENV_VAR\}$/,
    idFields: ['who'],
  },
  {
    type: 'genesys-events',
    // The topic rows are an editable list (its ids are checked by the node's topics validator).
    fields: ['genesys', 'topics-container', 'only', 'purpose', 'collapse', 'name'],
    help: 'Starts a flow when something happens on Genesys Cloud calls',
    async makeInvalid(page) {
      await setText(page, '#node-input-purpose', 'agent 1!');
      return 'purpose';
    },
    reason: /^Purpose: a purpose such as agent, customer or external/,
    idFields: [],
  },
];

describe(`editor: the nodes in a real Chromium (Node-RED ${nodeRedMajor})`, function () {
  this.timeout(90_000);
  let sim: SimHandle | undefined;
  let nodeRed: NodeRedInstance | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let tmp: string;

  before(async function () {
    this.timeout(180_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-editor-'));
    sim = await start({ port: 0 });
    nodeRed = await launchNodeRed({ userDir: path.join(tmp, 'user'), nodeRedMain, nodeBin: process.execPath, nodesDir: [projectRoot], port: 0 });
    browser = await launchBrowser();
    console.log(`      chromium: ${browser.chromium}`);
    page = browser.page;
    await openEditor(page, nodeRed.url);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await nodeRed?.stop().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function closeDialog(button: 'ok' | 'cancel'): Promise<void> {
    await page.click(`#node-dialog-${button}`);
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
  }

  async function clearWorkspace(): Promise<void> {
    await page.evaluate(() => {
      const RED = (window as any).RED;
      RED.nodes.filterNodes({ z: RED.workspaces.active() }).forEach((n: any) => RED.nodes.remove(n.id));
      RED.nodes.eachConfig((c: any) => {
        if (c.type === 'genesys-cloud-config') RED.nodes.remove(c.id);
      });
      RED.view.redraw(true);
    });
  }

  /** True when the field (or its TypedInput) is marked invalid in the open dialog. */
  function isMarked(field: string): Promise<boolean> {
    return page.evaluate((f) => {
      const input = document.querySelector(`#${f}`) as HTMLElement | null;
      if (!input) throw new Error(`no #${f}`);
      const container = input.closest('.form-row')?.querySelector('.red-ui-typedInput-container');
      return input.classList.contains('input-error') || !!container?.classList.contains('input-error');
    }, field);
  }

  /** The tooltip a user sees when hovering the red-marked field (Node-RED 4.1 puts the validator's reason there). */
  async function tooltipOf(field: string): Promise<string> {
    await page.mouse.move(0, 0);
    await until(async () => (await page.locator('.red-ui-popover:visible').count()) === 0, 'the last tooltip to go');
    // A TypedInput hides the original input: its tooltip is on the visible field the TypedInput draws.
    const box = await page.evaluate((f) => {
      const input = document.querySelector(`#${f}`) as HTMLElement;
      const row = input.closest('.form-row');
      const visible = input.offsetParent !== null ? input : (row?.querySelector('.red-ui-typedInput-input-wrap') as HTMLElement | null);
      if (!visible) throw new Error(`no visible field for #${f}`);
      const r = visible.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    }, field);
    await page.mouse.move(box.x, box.y, { steps: 3 });
    const tip = page.locator('.red-ui-popover:visible .red-ui-popover-content').last();
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    const text = (await tip.innerText()).trim();
    await page.mouse.move(0, 0);
    return text;
  }

  /**
   * Shows `type`'s help in the Help sidebar, as a user would read it, and lists every element of it that runs
   * past the right edge of the help (or scrolls sideways): none may, in any section.
   */
  async function helpOverflow(type: string): Promise<{ sections: number; overflows: string[] }> {
    await page.evaluate((t) => (window as any).RED.sidebar.help.show(t), type);
    await page.waitForFunction(() => {
      const help = Array.from(document.querySelectorAll('.red-ui-help')).find(
        (e) => (e as HTMLElement).offsetParent !== null && e.querySelector('.genesys-help'),
      );
      return !!help && (help as HTMLElement).getBoundingClientRect().width > 100;
    });
    return page.evaluate(() => {
      const help = Array.from(document.querySelectorAll('.red-ui-help')).find(
        (e) => (e as HTMLElement).offsetParent !== null && e.querySelector('.genesys-help'),
      ) as HTMLElement;
      const out: string[] = [];
      const right = help.getBoundingClientRect().right;
      const describe = (e: Element) => `${e.tagName.toLowerCase()} "${(e.textContent ?? '').trim().slice(0, 60)}"`;
      // The help, the sidebar panel scrolling it, and each section (an h3 and what follows it, as Node-RED folds them).
      const scrollers = [help, help.parentElement as HTMLElement, help.querySelector('.genesys-help') as HTMLElement];
      for (const e of scrollers) if (e.scrollWidth > e.clientWidth + 1) out.push(`${describe(e)} scrolls: ${e.scrollWidth} > ${e.clientWidth}`);
      const sections = Array.from(help.querySelectorAll('.genesys-help > *')) as HTMLElement[];
      for (const e of sections) if (e.scrollWidth > e.clientWidth + 1) out.push(`${describe(e)} scrolls: ${e.scrollWidth} > ${e.clientWidth}`);
      for (const e of Array.from(help.querySelectorAll('.genesys-help *'))) {
        const r = (e as HTMLElement).getBoundingClientRect();
        if (r.width > 0 && r.right > right + 1) out.push(`${describe(e)} ends at ${Math.round(r.right)} > ${Math.round(right)}`);
      }
      return { sections: help.querySelectorAll('.genesys-help > h3').length, overflows: out };
    });
  }

  beforeEach(async () => {
    // A test that failed midway may have left dialogs open.
    await page
      .evaluate(async () => {
        const RED = (window as any).RED;
        for (let i = 0; i < 5 && document.querySelector('.red-ui-tray'); i++) {
          await new Promise<void>((resolve) => RED.tray.close(() => resolve()));
        }
      })
      .catch(() => undefined);
  });

  it('the palette shows the flow nodes under "Genesys Cloud"; the config node is a config type', async () => {
    const inCategory = await page.$$eval('#red-ui-palette-container-Genesys_Cloud .red-ui-palette-node', (els) =>
      els.map((e) => e.getAttribute('data-palette-type')),
    );
    assert.deepEqual([...inCategory].sort(), [...FLOW_TYPES].sort());
    const header = await page
      .locator('#red-ui-palette-Genesys_Cloud, #red-ui-palette-container-Genesys_Cloud .red-ui-palette-header')
      .first()
      .innerText();
    assert.match(header, /Genesys Cloud/);
    const configCategory = await page.evaluate(() => (window as any).RED.nodes.getType('genesys-cloud-config').category);
    assert.equal(configCategory, 'config');
    assert.deepEqual(
      browser!.errors.filter((e) => /genesys/i.test(e)),
      [],
      'no editor script error from our nodes',
    );
    await screenshot(page, `palette-nr${nodeRedMajor}`);
  });

  for (const spec of DIALOGS) {
    it(`${spec.type}: the edit dialog opens with its fields and help, and marks a bad value invalid`, async () => {
      await clearWorkspace();
      const id = await dropFromPalette(page, spec.type);
      await openEditDialog(page, id);
      for (const f of spec.fields) {
        assert.equal(await page.locator(`#node-input-${f}`).count(), 1, `field ${f}`);
      }
      // Labels are translated (no raw i18n key shown).
      const labels = await page.locator('.red-ui-tray-body .form-row label').allInnerTexts();
      assert.ok(
        labels.every((l) => !/genesys-[a-z-]+\.label\./.test(l)),
        labels.join('|'),
      );
      await screenshot(page, `${spec.type}-light-nr${nodeRedMajor}`);

      // Help: what the palette's book button and the help sidebar show.
      // Help: the dialog's book button opens the help sidebar on this node's help.
      await page.locator('.red-ui-tray-footer-left button:has(i.fa-book)').last().click();
      // innerText: only what is rendered and visible (not the help <script> template itself).
      await page.waitForFunction((text) => document.body.innerText.includes(text), spec.help);

      // The Genesys id fields agree: a UUID and ${ENV_VAR} (substituted at deploy) are fine, anything else is
      // marked with the reason.
      for (const f of spec.idFields) {
        for (const good of ['5d7a3f2e-1c4b-4e8a-9f6d-2b3c4d5e6f70', '${GENESYS_ID}', '${my-id}']) {
          await setTyped(page, f, 'str', good);
          assert.equal(await isMarked(`node-input-${f}`), false, `${f} = ${good}`);
        }
        await setTyped(page, f, 'str', 'not-an-id');
        await until(() => isMarked(`node-input-${f}`), `${f} marked invalid`);
        assert.match(await tooltipOf(`node-input-${f}`), /^[A-Z][\w -]+: must be a Genesys id \(a UUID/, f);
        if (f === 'wrapupCode')
          await setTyped(page, f, 'str', ''); // its default: no wrap-up code
        else await setTyped(page, f, 'msg', f);
        assert.equal(await isMarked(`node-input-${f}`), false, `${f} back to its default`);
      }

      // A bad value: the field is marked while the dialog is open, with the reason as its tooltip; the node is
      // invalid once saved.
      const field = await spec.makeInvalid(page);
      await until(() => isMarked(`node-input-${field}`), `${field} marked invalid`);
      assert.match(await tooltipOf(`node-input-${field}`), spec.reason);
      await screenshot(page, `${spec.type}-invalid-tooltip-nr${nodeRedMajor}`);
      await closeDialog('ok');
      const state = await page.evaluate((nid) => {
        const n = (window as any).RED.nodes.node(nid);
        return { valid: n.valid, validationErrors: n.validationErrors };
      }, id);
      assert.equal(state.valid, false);
      // The reason, not only the field's name, is what the node's red triangle lists.
      assert.ok(
        state.validationErrors.some((e: string) => spec.reason.test(e)),
        JSON.stringify(state),
      );
      // The workspace shows the error triangle on the node.
      await page.waitForSelector(`[id="${id}"] .red-ui-flow-node-error:not(.hide)`, { state: 'attached' });
    });
  }

  for (const type of [...FLOW_TYPES, 'genesys-cloud-config']) {
    it(`${type}: the help fits the sidebar (no element runs past its right edge, no section scrolls sideways)`, async () => {
      const { sections, overflows } = await helpOverflow(type);
      assert.ok(sections >= 1, 'the help has its sections');
      assert.deepEqual(overflows, []);
      await screenshot(page, `${type}-help-nr${nodeRedMajor}`);
      // The wrapping CSS (in genesys-cloud-config.html) applies to div.genesys-help: the help of every locale has it.
      const localesDir = path.join(projectRoot, 'nodes', type, 'locales');
      for (const lang of fs.readdirSync(localesDir)) {
        const file = path.join(localesDir, lang, `${type}.html`);
        if (fs.existsSync(file)) assert.match(fs.readFileSync(file, 'utf8'), /data-help-name="[^"]+">\s*<div class="genesys-help">/, file);
      }
    });
  }

  it('a new node picks the only genesys-cloud-config there is (Node-RED 4.1 and 5 leave a new node at "none": onadd does it)', async () => {
    await clearWorkspace();
    await page.evaluate(() =>
      (window as any).RED.view.importNodes([
        {
          id: 'c0ffee0000000002',
          type: 'genesys-cloud-config',
          name: 'The only one',
          region: 'mypurecloud.ie',
          requestsPerMinute: 300,
          maxRetryAfterSeconds: 180,
        },
      ]),
    );
    for (const [i, type] of FLOW_TYPES.entries()) {
      // Three a row: five in one row would reach past the canvas of a small window.
      const id = await dropFromPalette(page, type, 200 + 180 * (i % 3), 200 + 120 * Math.floor(i / 3));
      await openEditDialog(page, id);
      assert.equal(await page.locator('#node-input-genesys').inputValue(), 'c0ffee0000000002', `${type}: the dialog shows the only config`);
      await closeDialog('ok');
      const n = await page.evaluate((nid) => {
        const node = (window as any).RED.nodes.node(nid);
        return { genesys: node.genesys, valid: node.valid, errors: node.validationErrors };
      }, id);
      assert.equal(n.genesys, 'c0ffee0000000002', type);
      assert.ok(!(n.errors ?? []).includes('genesys'), `${type}: ${JSON.stringify(n)}`);
    }
    await clearWorkspace();
  });

  it('genesys-cloud-config: "Test connection" succeeds against the simulator, fails with a wrong secret, marks requestsPerMinute 0 invalid', async () => {
    await clearWorkspace();
    const id = await dropFromPalette(page, 'genesys-disconnect-participant');
    await openEditDialog(page, id);
    // The + next to the config field adds a new genesys-cloud-config.
    await page.click('#node-input-btn-genesys-add');
    await page.waitForSelector('#node-config-input-region', { state: 'visible' });
    await page.waitForFunction(() => document.querySelectorAll('#node-config-input-region option').length > 2);
    const regions = await page.$$eval('#node-config-input-region option', (o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.ok(regions.includes('mypurecloud.com') && regions.includes('mypurecloud.ie') && regions.includes('custom'), regions.join(','));
    await page.selectOption('#node-config-input-region', 'custom');
    await page.waitForSelector('#node-config-input-apiBaseUrl', { state: 'visible' });
    await page.fill('#node-config-input-name', 'Simulator');
    await page.fill('#node-config-input-apiBaseUrl', sim!.url);
    await page.fill('#node-config-input-authBaseUrl', sim!.url);
    await page.fill('#node-config-input-clientId', 'sim-client-id');
    await page.fill('#node-config-input-clientSecret', 'sim-client-secret');
    await page.click('#node-config-genesys-test');
    const ok = page.locator('#node-config-genesys-test-result.genesys-ok');
    await ok.waitFor({ timeout: 20_000 });
    const okText = await ok.innerText();
    assert.doesNotMatch(okText, /sim-client-secret/);
    await screenshot(page, `genesys-cloud-config-light-nr${nodeRedMajor}`);
    const grants = (await sim!.control.requests()).filter((r) => r.path === '/oauth/token');
    assert.ok(grants.length >= 1 && grants.every((g) => g.status === 200));

    await page.fill('#node-config-input-clientSecret', 'a-wrong-secret');
    await page.click('#node-config-genesys-test');
    const fail = page.locator('#node-config-genesys-test-result.genesys-fail');
    await fail.waitFor({ timeout: 20_000 });
    // One clear sentence first; the code and the correlation id on a line of their own.
    const failText = await fail.innerText();
    const [first, detail] = failText.split('\n');
    assert.equal(first, 'The client id or secret was refused by Genesys (invalid_client).');
    assert.match(detail, /^auth-failed, correlation id [0-9a-f-]+$/);
    assert.doesNotMatch(failText, /a-wrong-secret/);
    await screenshot(page, `genesys-cloud-config-test-failed-light-nr${nodeRedMajor}`);

    await page.fill('#node-config-input-clientSecret', 'sim-client-secret');
    await setText(page, '#node-config-input-requestsPerMinute', '0');
    await page.waitForSelector('#node-config-input-requestsPerMinute.input-error', { state: 'attached' });
    assert.equal(await tooltipOf('node-config-input-requestsPerMinute'), 'Requests / min: must be a whole number greater than 0');
    await setText(page, '#node-config-input-apiBaseUrl', 'https://api.example.com/api/v2');
    await page.waitForSelector('#node-config-input-apiBaseUrl.input-error', { state: 'attached' });
    assert.match(await tooltipOf('node-config-input-apiBaseUrl'), /^API origin: must be a full origin such as https:\/\/api\.example\.com/);
    await setText(page, '#node-config-input-apiBaseUrl', '${GENESYS_API_ORIGIN}');
    await page.waitForSelector('#node-config-input-apiBaseUrl:not(.input-error)', { state: 'attached' });
    await setText(page, '#node-config-input-apiBaseUrl', sim!.url);
    await setText(page, '#node-config-input-requestsPerMinute', '300');
    await page.waitForSelector('#node-config-input-requestsPerMinute:not(.input-error)', { state: 'attached' });
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-region', { state: 'detached' });
    // Back in the disconnect dialog: the new config is selected; saved, the node is valid.
    await closeDialog('ok');
    const valid = await page.evaluate((nid) => {
      const RED = (window as any).RED;
      const n = RED.nodes.node(nid);
      return { valid: n.valid, config: RED.nodes.node(n.genesys)?.type };
    }, id);
    assert.deepEqual(valid, { valid: true, config: 'genesys-cloud-config' });
    // The dialog as a user sees it once configured (the README's picture).
    await openEditDialog(page, id);
    await screenshot(page, `genesys-disconnect-participant-configured-light-nr${nodeRedMajor}`);
    await closeDialog('cancel');
  });

  it('no example uses a node type that does not exist, or a property our node types do not define', async () => {
    const problems = await page.evaluate(
      ([files, standard]) => {
        const RED = (window as any).RED;
        const out: string[] = [];
        for (const [file, nodes] of files as Array<[string, any[]]>) {
          for (const n of nodes) {
            if (n.type === 'tab') continue;
            const def = RED.nodes.getType(n.type);
            if (!def) {
              out.push(`${file}: unknown type ${n.type}`);
              continue;
            }
            if (!n.type.startsWith('genesys-')) continue;
            for (const key of Object.keys(n)) {
              if (!(standard as string[]).includes(key) && !(key in def.defaults))
                out.push(`${file}: ${n.type} ${n.id} has "${key}", not in its defaults`);
            }
            for (const key of Object.keys(def.defaults)) {
              if (!(key in n)) out.push(`${file}: ${n.type} ${n.id} lacks "${key}" (the editor would add its default)`);
            }
          }
        }
        return out;
      },
      [exampleFiles(projectRoot).map((f) => [path.basename(f), readExample(f)]), [...STANDARD_KEYS]] as const,
    );
    assert.deepEqual(problems, []);
  });

  for (const file of exampleFiles(projectRoot)) {
    const name = path.basename(file, '.json');
    it(`Import > Examples > ${PACKAGE} > ${name} imports its tab with every node known`, async () => {
      const flow = readExample(file);
      const tab = flow.find((n) => n.type === 'tab')!;
      // A fresh editor each time: every example carries the same config node id.
      await page.reload({ waitUntil: 'domcontentloaded' });
      await openEditor(page, nodeRed!.url);
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.waitForSelector('#red-ui-clipboard-dialog-import-tabs', { state: 'visible' });
      await page
        .locator('#red-ui-clipboard-dialog-import-tabs li')
        .filter({ hasText: /Examples/ })
        .click();
      const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await tree.locator('.red-ui-treeList-label').filter({ hasText: PACKAGE }).first().click();
      await tree
        .locator('.red-ui-treeList-label')
        .filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) })
        .first()
        .click();
      await page.click('#red-ui-clipboard-dialog-ok');
      const imported = await page.waitForFunction(
        ([label, count]) => {
          const RED = (window as any).RED;
          let ws: any;
          RED.nodes.eachWorkspace((w: any) => {
            if (w.label === label) ws = w;
          });
          if (!ws) return false;
          const nodes = RED.nodes.filterNodes({ z: ws.id });
          if (nodes.length < count) return false;
          return {
            tab: ws.id,
            types: nodes.map((n: any) => n.type),
            unknown: nodes.filter((n: any) => n.type === 'unknown' || !RED.nodes.getType(n.type)).map((n: any) => n.type),
          };
        },
        [tab.label as string, flow.filter((n) => n.z === tab.id).length] as const,
        { timeout: 15_000 },
      );
      const result = (await imported.jsonValue()) as { tab: string; types: string[]; unknown: string[] };
      await page.evaluate((t) => (window as any).RED.workspaces.show(t), result.tab);
      assert.deepEqual(result.unknown, []);
      assert.deepEqual(
        result.types.sort(),
        flow
          .filter((n) => n.z === tab.id)
          .map((n) => n.type)
          .sort(),
      );
      await page.waitForTimeout(300);
      await screenshot(page, `example-${name}-nr${nodeRedMajor}`);
    });
  }

  // Node-RED 5 has a dark theme; 4.1 has none.
  (nodeRedMajor === 5 ? it : it.skip)('dark theme (Node-RED 5): every dialog renders dark', async () => {
    await page.evaluate(() => (window as any).RED.settings.setLocal('view-dark-theme', 'dark'));
    try {
      await page.reload({ waitUntil: 'domcontentloaded' });
      await openEditor(page, nodeRed!.url);
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains('nr-theme-dark')), true);
      for (const spec of DIALOGS) {
        await clearWorkspace();
        const id = await dropFromPalette(page, spec.type);
        await openEditDialog(page, id);
        await screenshot(page, `${spec.type}-dark-nr${nodeRedMajor}`);
        await closeDialog('cancel');
      }
      // Configured, with a genesys-cloud-config chosen (the README's picture).
      await clearWorkspace();
      await page.evaluate(
        (url) =>
          (window as any).RED.view.importNodes([
            {
              id: 'c0ffee0000000001',
              type: 'genesys-cloud-config',
              name: 'Simulator',
              region: 'custom',
              apiBaseUrl: url,
              authBaseUrl: url,
              requestsPerMinute: 300,
              maxRetryAfterSeconds: 180,
            },
          ]),
        sim!.url,
      );
      const configured = await dropFromPalette(page, 'genesys-disconnect-participant');
      await openEditDialog(page, configured);
      await page.selectOption('#node-input-genesys', 'c0ffee0000000001');
      await page.evaluate(() => (window as any).$('.red-ui-notification').remove()); // the "Imported" toast
      await screenshot(page, `genesys-disconnect-participant-configured-dark-nr${nodeRedMajor}`);
      await closeDialog('cancel');
      await clearWorkspace();
      const id = await dropFromPalette(page, 'genesys-disconnect-participant');
      await openEditDialog(page, id);
      await page.click('#node-input-btn-genesys-add');
      await page.waitForSelector('#node-config-input-region', { state: 'visible' });
      await page.waitForTimeout(400);
      await screenshot(page, `genesys-cloud-config-dark-nr${nodeRedMajor}`);
      await page.click('#node-config-dialog-cancel');
      await closeDialog('cancel');
    } finally {
      await page.evaluate(() => (window as any).RED.settings.setLocal('view-dark-theme', 'light')).catch(() => undefined);
    }
  });
});
