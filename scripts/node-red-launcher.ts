// Starts a real Node-RED process (its own user dir, 127.0.0.1, a port the OS picks) and drives it through the
// Admin API. Used by `npm start` (the demo), the end-to-end tests, the editor tests and the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LaunchOptions {
  /** Node-RED's user dir (settings.js, flows, credentials, node_modules). Created if missing. */
  userDir: string;
  /** Path of Node-RED's red.js: node-red 4.1 by default. */
  nodeRedMain?: string;
  /** The Node binary that runs it (Node-RED 5 needs Node 22.9+). */
  nodeBin?: string;
  /** Folders Node-RED scans for node packages: our project root loads the package as a module. */
  nodesDir?: string[];
  /** 0 (default) lets the OS pick. */
  port?: number;
  credentialSecret?: string;
  /** Extra settings merged into settings.js (plain JSON values). */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Each line Node-RED prints (stdout and stderr). */
  onLog?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface NodeRedInstance {
  url: string;
  pid: number;
  logs: string[];
  /** Full deploy through the Admin API; resolves once the flows have started. */
  deploy(flows: object[]): Promise<void>;
  /** Resolves with the first log line at or after `fromIndex` that matches. */
  waitForLog(pattern: RegExp, fromIndex?: number, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function launchNodeRed(options: LaunchOptions): Promise<NodeRedInstance> {
  const userDir = path.resolve(options.userDir);
  fs.mkdirSync(userDir, { recursive: true });
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: options.port ?? 0,
    flowFile: 'flows.json',
    credentialSecret: options.credentialSecret ?? false,
    nodesDir: options.nodesDir ?? [],
    httpNodeRoot: '/',
    // The runtime's own language (its log lines, which this launcher reads, and node statuses): English, or a
    // machine with LANG=de_DE... logs "Server now running" in German and the start is never seen. The editor
    // still follows the browser's language (our de/ja labels and help).
    lang: 'en-US',
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    ...options.settings,
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

  // The CLI (<package>/red.js) starts a server; the package's main (lib/red.js, what the test helper wants)
  // only exports the runtime and exits at once when run: map it to the CLI beside it.
  const given = options.nodeRedMain ?? require.resolve('node-red');
  const nodeRedMain = /[\\/]lib[\\/]red\.js$/.test(given) ? path.join(path.dirname(given), '..', 'red.js') : given;
  const child: ChildProcess = spawn(
    options.nodeBin ?? process.execPath,
    [nodeRedMain, '-u', userDir, '--settings', path.join(userDir, 'settings.js')],
    {
      env: { ...process.env, NODE_RED_ENABLE_TOURS: 'false', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (!line) continue;
      logs.push(line);
      options.onLog?.(line);
    }
    for (const wake of waiters) wake();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      for (const wake of waiters) wake();
      resolve();
    }),
  );

  function waitForLog(pattern: RegExp, fromIndex = 0, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = fromIndex; i < logs.length; i++) {
          if (pattern.test(logs[i])) {
            done();
            resolve(logs[i]);
            return;
          }
        }
        if (exited) {
          done();
          reject(new Error(`Node-RED exited before logging ${pattern}:\n${logs.slice(-20).join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Node-RED did not log ${pattern} within ${timeoutMs} ms:\n${logs.slice(-20).join('\n')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  let url: string;
  try {
    const line = await waitForLog(/Server now running at (http:\/\/[^\s/]+)/, 0, options.startTimeoutMs ?? 60_000);
    url = /Server now running at (http:\/\/[^\s/]+)/.exec(line)![1];
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  async function deploy(flows: object[]): Promise<void> {
    const from = logs.length;
    const res = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
      body: JSON.stringify(flows),
    });
    if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
    // /flows answers before the flows have started. Wait for the "Started flows" that follows this deploy's
    // "Updated flows": the start-up's own "Started flows" can still arrive after `from` and is not ours.
    await waitForLog(/Updated flows/, from, 30_000);
    let updated = from;
    while (!/Updated flows/.test(logs[updated])) updated++;
    await waitForLog(/Started flows/, updated + 1, 30_000);
  }

  async function stop(): Promise<void> {
    if (exited) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(timer);
  }

  return { url, pid: child.pid!, logs, deploy, waitForLog, stop };
}
