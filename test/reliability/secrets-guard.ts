// Watches the whole test run for leaked secrets: every write to stdout/stderr, every console call, every
// Node-RED log message (node.log/warn/error included) and every node status text is kept (bounded), and
// at the end of the run no registered secret (client secrets, every access token the nodes were given) may
// appear in any of it, in clear, URL-encoded or base64 (an echoed Basic value), and no URL with a user name and
// password (a proxy URL) either. Tests also check msgs, errors and exported flows with assertNoSecretsIn().
import * as assert from 'node:assert/strict';
import { inspect } from 'node:util';

/** Secrets no output may contain: the simulator's default client secret from the start. */
const secrets = new Set<string>(['sim-client-secret']);
const captured: string[] = [];
let capturedBytes = 0;
const MAX_CAPTURE = 64 * 1024 * 1024;
let installed = false;
const restores: (() => void)[] = [];

/** A secret or token: as is, and in the encodings an echo may carry it (URL-encoded, base64). */
export function registerSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 8) return;
  secrets.add(secret);
  secrets.add(encodeURIComponent(secret));
  secrets.add(Buffer.from(secret, 'utf8').toString('base64'));
}

/** The grant's `Basic base64(id:secret)` value (and the pair in clear). */
export function registerBasic(clientId: string, clientSecret: string): void {
  registerSecret(`${clientId}:${clientSecret}`);
}

/** A proxy URL with credentials: its password (raw and decoded) and its user:password part. */
export function registerProxyUrl(url: string): void {
  const m = /:\/\/(.*)@/.exec(url);
  if (!m) return;
  registerSecret(m[1]);
  const pw = m[1].slice(m[1].indexOf(':') + 1);
  registerSecret(pw);
  try {
    registerSecret(decodeURIComponent(pw));
  } catch {
    /* not percent-encoded */
  }
}

/** user:password@ in a URL (any scheme): never shown, whoever's it is. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s/?#@:]+:[^\s/?#@]+@/i;
/** A Basic header value: base64 (8+ characters) that decodes to printable text with a colon (id:secret). */
function hasBasicValue(text: string): boolean {
  for (const m of text.matchAll(/\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})/g)) {
    const decoded = Buffer.from(m[1], 'base64').toString('latin1');
    if (decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded)) return true;
  }
  return false;
}

export function registeredSecrets(): string[] {
  return [...secrets];
}

function keep(text: string): void {
  if (capturedBytes > MAX_CAPTURE) return;
  captured.push(text);
  capturedBytes += text.length;
}

/** Text of anything: strings as is, objects as JSON plus util.inspect (which also shows Error messages). */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  let json = '';
  try {
    json =
      JSON.stringify(value, (_k, v) => (v instanceof Error ? { ...v, message: v.message, stack: v.stack } : typeof v === 'bigint' ? String(v) : v)) ??
      '';
  } catch {
    /* circular: inspect covers it */
  }
  return `${json}\n${inspect(value, { depth: 8, showHidden: false, breakLength: Infinity })}`;
}

/** Fails naming where a registered secret was found (never printing the secret itself). */
export function assertNoSecretsIn(value: unknown, where: string, opts: { bearer?: boolean; basic?: boolean } = {}): void {
  const text = textOf(value);
  for (const s of secrets) {
    if (text.includes(s)) assert.fail(`a secret (${s.length} chars, starting ${JSON.stringify(s.slice(0, 3))}) appears in ${where}`);
  }
  // A bearer or Basic header value, or URL credentials, must never be on a msg, an error or an export either.
  if (opts.bearer !== false) assert.ok(!/Bearer\s+[A-Za-z0-9._~+/-]{8,}/.test(text), `an Authorization bearer value appears in ${where}`);
  if (opts.basic !== false) assert.ok(!hasBasicValue(text), `an Authorization Basic value appears in ${where}`);
  assert.ok(!URL_CREDENTIALS.test(text), `a URL with a user name and password appears in ${where}`);
}

/**
 * Starts capturing. `nodeRed` is the test helper's runtime pieces: its log module (every Node-RED log
 * message goes through log.log) and the Node prototype (status texts).
 */
export function installCapture(nodeRed: { log?: any; nodePrototype?: any }): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    const orig = stream.write;
    stream.write = function (this: unknown, chunk: any, ...rest: any[]) {
      keep(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return (orig as any).call(this, chunk, ...rest);
    } as typeof stream.write;
    restores.push(() => {
      stream.write = orig;
    });
  }
  for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const orig = console[m];
    console[m] = (...args: unknown[]) => {
      keep(args.map(textOf).join(' '));
      orig.apply(console, args);
    };
    restores.push(() => {
      console[m] = orig;
    });
  }
  const log = nodeRed.log;
  if (log && typeof log.log === 'function') {
    const orig = log.log;
    log.log = function (msg: unknown) {
      keep(textOf(msg));
      return orig.call(this, msg);
    };
    restores.push(() => {
      log.log = orig;
    });
  }
  const proto = nodeRed.nodePrototype;
  if (proto && typeof proto.status === 'function') {
    const orig = proto.status;
    proto.status = function (this: unknown, status: unknown) {
      keep(textOf(status));
      return orig.call(this, status);
    };
    restores.push(() => {
      proto.status = orig;
    });
  }
}

/** Stops capturing and checks everything captured against every registered secret. */
export function finishCapture(): { bytes: number; secrets: number } {
  for (const r of restores.splice(0).reverse()) r();
  installed = false;
  const all = captured.join('\n');
  captured.length = 0;
  capturedBytes = 0;
  // No bearer check here: test titles may legitimately say "Bearer"; the tokens themselves are registered.
  // Basic values (base64 of id:secret) and URL credentials are checked: no title holds one.
  assertNoSecretsIn(all, 'the output of the test run (stdout, stderr, console, Node-RED log, node status)', { bearer: false });
  return { bytes: all.length, secrets: secrets.size };
}
