// The editor in German and Japanese, in a real Chromium whose language is de-DE / ja-JP (what Node-RED's
// editor picks its language from when the user has chosen none in View > Language): Node-RED serves our
// de/ja catalogs and help, and the palette, the edit dialog and the help sidebar show them. Screenshots of
// each dialog with its help go to test-artifacts/screenshots/ (i18n-<lang>-*.png).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchNodeRed, type NodeRedInstance } from '../../scripts/node-red-launcher';
import { dropFromPalette, launchBrowser, openEditDialog, openEditor, screenshot, type Browser } from '../support/browser';
import { nodeRedMain, nodeRedMajor, projectRoot } from '../../testkit/node-red';

const MODULE = 'node-red-contrib-genesys-participants';
/** Every node type the package registers, but the config node (its dialog opens differently). */
const FLOW_TYPES = Object.keys(JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'))['node-red'].nodes).filter(
  (t) => t !== 'genesys-cloud-config',
);
const LANGUAGES = [
  { lang: 'de', locale: 'de-DE' },
  { lang: 'ja', locale: 'ja-JP' },
];

function catalog(type: string, lang: string): any {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'nodes', type, 'locales', lang, `${type}.json`), 'utf8'))[type];
}
/** The first paragraph of a node's help in that language (its one-line summary), as written. */
function helpSummaryHtml(type: string, lang: string): string {
  const html = fs.readFileSync(path.join(projectRoot, 'nodes', type, 'locales', lang, `${type}.html`), 'utf8');
  return /<p>([\s\S]*?)<\/p>/.exec(html)![1].trim();
}
/** The same, as the help sidebar renders it (plain text). */
function helpSummary(type: string, lang: string): string {
  return helpSummaryHtml(type, lang)
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ');
}

/** Removes every node of the workspace (each dialog is opened on a node freshly dropped from the palette). */
async function clearWorkspace(page: Page): Promise<void> {
  await page.evaluate(() => {
    const RED = (window as any).RED;
    RED.nodes.filterNodes({ z: RED.workspaces.active() }).forEach((n: any) => RED.nodes.remove(n.id));
    RED.view.redraw(true);
  });
}

/** Each element of the open dialog with a data-i18n key of `type` shows that key's text in `lang`. */
async function assertTranslated(page: Page, type: string, lang: string): Promise<void> {
  const found = await page.$$eval('.red-ui-tray-body [data-i18n]', (els) =>
    els.map((e) => {
      // The editor prefixes each key with its namespace: "[placeholder]<module>/<type>:<key>".
      const [, attr, key] = /^(?:\[([a-z]+)\])?(?:[^:]*:)?(.*)$/.exec(e.getAttribute('data-i18n')!)!;
      return { key, text: attr ? (e.getAttribute(attr) ?? '') : (e.textContent ?? '').trim() };
    }),
  );
  const mine = found.filter((f) => f.key.startsWith(`${type}.`));
  assert.ok(mine.length >= 3, `only ${mine.length} translated elements of ${type}`);
  const messages = { [type]: catalog(type, lang) };
  for (const { key, text } of mine) {
    const expected = key.split('.').reduce((o: any, k) => o?.[k], messages);
    assert.equal(text, expected, key);
  }
}

describe(`editor in German and Japanese (Node-RED ${nodeRedMajor})`, function () {
  this.timeout(90_000);
  let nodeRed: NodeRedInstance | undefined;
  let tmp: string;

  before(async function () {
    this.timeout(120_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-i18n-'));
    nodeRed = await launchNodeRed({ userDir: path.join(tmp, 'user'), nodeRedMain, nodeBin: process.execPath, nodesDir: [projectRoot], port: 0 });
  });

  after(async function () {
    this.timeout(60_000);
    await nodeRed?.stop().catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const { lang, locale } of LANGUAGES) {
    it(`${lang}: Node-RED serves every node's ${lang} catalog and help (for a browser asking for ${locale})`, async () => {
      // What the editor loads: the catalogs (nodes/messages?lng=<browser language>) and the node definitions
      // with their help (GET /nodes as text/html, in the Accept-Language).
      const res = await fetch(`${nodeRed!.url}/nodes/messages?lng=${locale}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      const catalogs = (await res.json()) as Record<string, any>;
      for (const type of [...FLOW_TYPES, 'genesys-cloud-config']) {
        assert.deepEqual(catalogs[`${MODULE}/${type}`]?.[type], catalog(type, lang), `${type} catalog`);
      }
      const html = await (
        await fetch(`${nodeRed!.url}/nodes`, { headers: { accept: 'text/html', 'accept-language': `${locale},${lang};q=0.9` } })
      ).text();
      for (const type of [...FLOW_TYPES, 'genesys-cloud-config']) {
        const at = html.indexOf(`data-help-name="${type}"`);
        assert.ok(at >= 0, `${type} help`);
        assert.ok(html.slice(at, at + 2000).includes(helpSummaryHtml(type, lang)), `${type} help is not the ${lang} one`);
      }
    });

    describe(`${lang}: a Chromium in ${locale}`, () => {
      let browser: Browser | undefined;
      let page: Page;

      before(async function () {
        this.timeout(120_000);
        browser = await launchBrowser({ locale });
        page = browser.page;
        await openEditor(page, nodeRed!.url);
      });
      after(async () => {
        await browser?.close();
      });

      it(`the palette shows the ${lang} node names`, async () => {
        assert.equal(await page.evaluate(() => navigator.language), locale);
        for (const type of FLOW_TYPES) {
          const label = await page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).innerText();
          assert.equal(label.replace(/\s+/g, ' ').trim(), catalog(type, lang).paletteLabel, type);
        }
        await screenshot(page, `i18n-${lang}-palette-nr${nodeRedMajor}`);
      });

      for (const type of FLOW_TYPES) {
        it(`${type}: the edit dialog and its help sidebar are in ${lang}`, async () => {
          await clearWorkspace(page);
          await openEditDialog(page, await dropFromPalette(page, type, 300, 160));
          // Every translated element of the dialog (labels, select options, placeholders) shows this
          // language's text for its key.
          await assertTranslated(page, type, lang);
          const labels = await page.locator('.red-ui-tray-body .form-row label').allInnerTexts();
          assert.ok(
            labels.every((l) => !/genesys-[a-z-]+\./.test(l)),
            labels.join('|'),
          );
          // The help sidebar, opened from the dialog's book button, shows this language's help.
          await page.locator('.red-ui-tray-footer-left button:has(i.fa-book)').last().click();
          await page.waitForFunction((text) => document.body.innerText.includes(text), helpSummary(type, lang));
          await page.waitForTimeout(300);
          await screenshot(page, `i18n-${lang}-${type}-nr${nodeRedMajor}`);
          await page.click('#node-dialog-cancel');
          await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
        });
      }

      it(`genesys-cloud-config: the config dialog is in ${lang}`, async () => {
        const messages = catalog('genesys-cloud-config', lang);
        await page.evaluate(() => {
          const RED = (window as any).RED;
          RED.editor.editConfig('', 'genesys-cloud-config', '_ADD_');
        });
        await page.waitForSelector('#node-config-input-region', { state: 'visible' });
        await page.waitForFunction(() => document.querySelectorAll('#node-config-input-region option').length > 2);
        await assertTranslated(page, 'genesys-cloud-config', lang);
        assert.equal((await page.locator('label[for="node-config-input-clientSecret"]').innerText()).trim(), messages.label.clientSecret);
        const custom = await page.$eval('#node-config-input-region option[value="custom"]', (o) => (o as HTMLOptionElement).text);
        assert.equal(custom, messages.label.customRegion);
        await page.locator('.red-ui-tray-footer-left button:has(i.fa-book)').last().click();
        await page.waitForFunction((text) => document.body.innerText.includes(text), helpSummary('genesys-cloud-config', lang));
        await page.waitForTimeout(300);
        await screenshot(page, `i18n-${lang}-genesys-cloud-config-nr${nodeRedMajor}`);
        await page.click('#node-config-dialog-cancel');
        await page.waitForSelector('#node-config-input-region', { state: 'detached' });
      });
    });
  }
});
