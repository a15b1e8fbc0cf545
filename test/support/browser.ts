// A real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the editor tests. One browser
// per suite: launch() in before, close() in after. Never downloads a browser.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from './node-red';

export const CHROMIUM = process.env.GENESYS_TEST_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(projectRoot, 'test-artifacts', 'screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (an editor script error shows up here). */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: 60_000,
    });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  // A reload with undeployed changes raises the editor's "leave page?" prompt: leave.
  page.on('dialog', (d) => { d.accept().catch(() => undefined); });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Loads the editor and waits until it has loaded the node definitions and a workspace is shown. */
export async function openEditor(page: Page, url: string, waitForType = 'genesys-disconnect-participant'): Promise<void> {
  await page.goto(`${url}/`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.waitForFunction((type) => {
    const RED = (window as any).RED;
    return !!(RED && RED.nodes && RED.nodes.getType && RED.nodes.getType(type) && RED.workspaces && RED.workspaces.active()
      && document.querySelector('#red-ui-palette .red-ui-palette-node') && !document.querySelector('#red-ui-loader:not([style*="none"])'));
  }, waitForType, { timeout: 60_000 });
  // The loader fades out; let the UI settle before screenshots and clicks.
  await page.waitForTimeout(300);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
