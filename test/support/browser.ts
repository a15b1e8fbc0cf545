// A real Chromium driven by playwright-core, for the editor tests. One browser per suite: launch() in before,
// close() in after. Which Chromium: GENESYS_TEST_CHROMIUM when set, else Debian's /usr/bin/chromium when it is
// installed, else the one inside the devDependency @sparticuz/chromium (no apt step, no download: the binary is
// in the npm package, decompressed once into .cache/). Never downloads a browser.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../testkit/node-red';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(projectRoot, 'test-artifacts', 'screenshots');

/** Our flags, for every Chromium: quiet (no network of its own, no updates, no first-run UI), no GPU. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** @sparticuz/chromium's recommended flags we leave out: they change what a page may do (the editor must meet
 * the rules a user's browser enforces), or work around AWS Lambda (one process, no zygote) and would make a
 * renderer crash take the whole browser down; its headless flag is playwright's to set. */
const DROPPED_PACK_ARGS = /^--(disable-web-security|allow-running-insecure-content|single-process|no-zygote|headless)\b/;

interface Executable {
  executablePath: string;
  args: string[];
  env?: Record<string, string>;
  /** What the test output says about it. */
  label: string;
}

const PACK = '@sparticuz/chromium';

/** The Chromium inside @sparticuz/chromium, decompressed once per package version into .cache/ (a few
 * seconds). Decompressed in a child process into a fresh folder, then renamed into place: a concurrent run
 * never sees a half-written binary, and a different version never reuses this one. */
function packedChromium(): Executable {
  // Its "exports" hide package.json: find it from the entry point (build/cjs/index.cjs).
  const packDir = path.resolve(path.dirname(require.resolve(PACK)), '..', '..');
  const version = (JSON.parse(fs.readFileSync(path.join(packDir, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = path.join(projectRoot, '.cache', `sparticuz-chromium-${version}`);
  const bin = path.join(dir, 'chromium');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const partial = fs.mkdtempSync(`${dir}.partial-`);
    try {
      // executablePath() inflates into os.tmpdir(): point that at our folder, in a child, not in this process.
      execFileSync(
        process.execPath,
        ['-e', `require(${JSON.stringify(PACK)}).executablePath().catch((e) => { console.error(e); process.exit(1); })`],
        {
          cwd: projectRoot,
          env: { ...process.env, TMPDIR: partial },
          stdio: ['ignore', 'ignore', 'inherit'],
          timeout: 120_000,
        },
      );
      // Its fonts.conf names /tmp/fonts; ours adds the bundled Open Sans to the system's fonts, so that
      // screenshots show text on a machine without any font package.
      fs.writeFileSync(
        path.join(partial, 'fonts.conf'),
        [
          '<?xml version="1.0"?>',
          '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
          '<fontconfig>',
          '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
          `  <dir>${path.join(dir, 'fonts', 'fonts')}</dir>`,
          `  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>`,
          '</fontconfig>',
          '',
        ].join('\n'),
      );
      fs.renameSync(partial, dir);
    } catch (err) {
      fs.rmSync(partial, { recursive: true, force: true });
      // Another run may have renamed its copy into place first: use that one.
      if (!fs.existsSync(bin)) throw err;
    }
  }

  const pack = require(PACK) as { args: string[]; setGraphicsMode: boolean };
  pack.setGraphicsMode = false; // no WebGL needed; matches our --disable-gpu (no SwiftShader flags)
  const args = [...ARGS, ...pack.args.filter((a) => !DROPPED_PACK_ARGS.test(a) && !ARGS.includes(a))];
  return { executablePath: bin, args, env: { FONTCONFIG_FILE: path.join(dir, 'fonts.conf') }, label: `${PACK} ${version}` };
}

/** The Chromium these tests drive (see the top of this file). */
export function findChromium(): Executable {
  const chosen = process.env.GENESYS_TEST_CHROMIUM;
  if (chosen) {
    // An explicit choice that does not exist is an error, not a silent fallback.
    if (!fs.existsSync(chosen)) throw new Error(`GENESYS_TEST_CHROMIUM=${chosen} not found`);
    return { executablePath: chosen, args: ARGS, label: chosen };
  }
  if (fs.existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, args: ARGS, label: SYSTEM_CHROMIUM };
  return packedChromium();
}

export interface Browser {
  /** Which Chromium runs (its path, or the npm package and version). */
  chromium: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (an editor script error shows up here). */
  errors: string[];
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** The browser's language (navigator.language and Accept-Language), e.g. 'de-DE': what Node-RED's editor
   * picks its language from when the user has not chosen one. Chromium's default otherwise. */
  locale?: string;
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const exe = findChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: exe.executablePath,
      headless: true,
      viewport: { width: 1400, height: 900 },
      ...(options.locale ? { locale: options.locale } : {}),
      args: exe.args,
      ...(exe.env ? { env: { ...process.env, ...exe.env } as Record<string, string> } : {}),
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
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  // A reload with undeployed changes raises the editor's "leave page?" prompt: leave.
  page.on('dialog', (d) => {
    d.accept().catch(() => undefined);
  });
  return {
    chromium: exe.label,
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
  await page.waitForFunction(
    (type) => {
      const RED = (window as any).RED;
      return !!(
        RED &&
        RED.nodes &&
        RED.nodes.getType &&
        RED.nodes.getType(type) &&
        RED.workspaces &&
        RED.workspaces.active() &&
        document.querySelector('#red-ui-palette .red-ui-palette-node') &&
        !document.querySelector('#red-ui-loader:not([style*="none"])')
      );
    },
    waitForType,
    { timeout: 60_000 },
  );
  // The loader fades out; let the UI settle before screenshots and clicks.
  await page.waitForTimeout(300);
}

/** Drags a node from the palette onto the workspace (to x, y of the chart), as a user does (the editor fills
 * in its defaults); returns the new node's id. */
export async function dropFromPalette(page: Page, type: string, x = 400, y = 200): Promise<string> {
  const source = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
  await source.scrollIntoViewIfNeeded();
  const box = (await source.boundingBox())!;
  const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
  await page.mouse.up();
  const id = await page.waitForFunction((t) => {
    const sel = (window as any).RED.view.selection();
    const n = sel.nodes && sel.nodes.find((m: any) => m.type === t);
    return n ? n.id : false;
  }, type);
  return (await id.jsonValue()) as string;
}

/** Opens a node's edit dialog as a user does (double click) and waits until the tray has slid in. */
export async function openEditDialog(page: Page, id: string): Promise<void> {
  await page.locator(`[id="${id}"]`).dblclick();
  await page.waitForSelector('.red-ui-tray .red-ui-tray-body #node-dialog-ok, #node-dialog-ok', { state: 'visible' });
  await page.waitForTimeout(400); // the tray slides in
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
