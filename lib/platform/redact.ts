// The one redaction point of lib/: every error that leaves GenesysClient (and the client's constructor) goes
// through Redactor.error(). It removes what must never reach a msg, a status or a log:
// - the client secret (as typed, URL-encoded and base64-encoded), the `Basic base64(id:secret)` value of the
//   grant (docs/platform.md section 2), and every access token this client was issued;
// - any `Bearer <value>` / `Basic <value>` an answer echoes, and user:password in URLs (`scheme://***@host`),
//   including the passwords of the proxy URLs in HTTP_PROXY / HTTPS_PROXY (even when those do not parse);
// and it truncates foreign text (a Genesys or proxy message) to MAX_FOREIGN_TEXT. The raw `cause` (an undici
// error, possibly with URLs, headers or a proxy's answer) never leaves: Node-RED copies err.cause into the
// Catch node's msg and the log. What leaves is a new GenesysError with the same code, status, Genesys code and
// correlation id, and at most a small plain cause (redacted message and error code, no chain).
import { GenesysError, type GenesysErrorDetails } from './errors';

/** Longest text of someone else's we copy into a message (a Genesys message, an OAuth error description). */
export const MAX_FOREIGN_TEXT = 1024;
/** Longest message that leaves lib/ (ours plus a foreign part or two). */
export const MAX_MESSAGE = 2048;
/** Longest text the patterns scan (everything that leaves is cut shorter still). */
const MAX_SCANNED = 8 * 1024;
/** Tokens remembered for redaction: one per grant, so this covers days of renewals. */
const MAX_TOKENS = 16;
/** Shorter values are not redacted as such (a 2-letter "secret" would blank every word holding it). */
const MIN_SECRET = 4;

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** `text` cut to `max` characters, saying so. */
export function truncate(text: string, max = MAX_FOREIGN_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length - max} more characters cut)` : text;
}

/**
 * A Basic value is base64(id:secret) (RFC 7617): one that has a digit, + / or =, or decodes to printable text
 * with a colon, is taken for one; the words of "Basic authentication failed" are not.
 */
function looksLikeCredentials(value: string): boolean {
  if (/[0-9+/=]/.test(value)) return true;
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
}

/** Patterns that are never shown whoever issued them. */
export function redactPatterns(text: string): string {
  return (
    text
      // userinfo in a URL: everything between "://" and the last "@" of the authority.
      .replace(/\b([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s/?#]*@/gi, '$1***@')
      .replace(/\bBearer(\s+|%20|\+)[A-Za-z0-9._~+/=-]{8,}/gi, 'Bearer ***')
      .replace(/\bBasic(\s+|%20|\+)([A-Za-z0-9+/=]{8,})/gi, (all, _sp, value: string) => (looksLikeCredentials(value) ? 'Basic ***' : all))
      // access_token=... / client_secret=... (a form or query echoed back)
      .replace(/\b(access_token|client_secret|password)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, '$1$2***')
  );
}

/** The passwords (and whole userinfo parts) of the proxy URLs in the environment, parsed or not. */
export function proxySecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const name of PROXY_VARS) {
    const v = env[name];
    if (!v) continue;
    const m = /:\/\/(.*)@/.exec(v) ?? /^(.*)@/.exec(v);
    if (!m) continue;
    const userinfo = m[1];
    out.push(userinfo);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      const pw = userinfo.slice(colon + 1);
      out.push(pw);
      try {
        out.push(decodeURIComponent(pw));
      } catch {
        /* not percent-encoded */
      }
    }
  }
  return out;
}

export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly tokens: string[] = [];
  /** Errors already redacted -> their redacted copy; forgotten when a new secret or token is learnt. */
  private redacted = new WeakMap<object, GenesysError>();

  constructor(values: (string | undefined)[] = []) {
    for (const v of [...values, ...proxySecrets()]) this.add(v);
  }

  /** A value never to show, with the encodings it may be echoed in. */
  add(value: string | undefined): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET) return;
    this.secrets.add(value);
    this.secrets.add(encodeURIComponent(value));
    this.secrets.add(Buffer.from(value, 'utf8').toString('base64'));
    this.redacted = new WeakMap();
  }

  /** The Basic credentials of the grant: the base64 value (and id:secret in clear). */
  addBasic(clientId: string, clientSecret: string): void {
    const pair = `${clientId}:${clientSecret}`;
    this.secrets.add(pair);
    this.secrets.add(Buffer.from(pair, 'utf8').toString('base64'));
    this.redacted = new WeakMap();
  }

  /** An access token issued to this client (the last MAX_TOKENS are kept). */
  addToken(token: string): void {
    if (typeof token !== 'string' || token.length < MIN_SECRET || this.tokens.includes(token)) return;
    this.tokens.push(token);
    if (this.tokens.length > MAX_TOKENS) this.tokens.shift();
    this.redacted = new WeakMap();
  }

  /** Any text with every known secret, token and secret-looking pattern replaced by ***. */
  text(text: string): string {
    let out = text;
    // Longest first: a token that contains the secret is removed whole.
    const all = [...this.secrets, ...this.tokens].sort((a, b) => b.length - a.length);
    for (const s of all) if (out.includes(s)) out = out.split(s).join('***');
    // The patterns run on a bounded text: a megabyte of someone else's text must not cost seconds.
    return redactPatterns(truncate(out, MAX_SCANNED));
  }

  /** Foreign text as it may enter one of our messages: redacted, then cut to MAX_FOREIGN_TEXT. */
  foreign(text: string): string {
    return truncate(this.text(text));
  }

  /**
   * The error as it may leave lib/: a GenesysError with a redacted, bounded message, the same code and
   * details, and no raw cause. A foreign error becomes 'genesys-error'.
   */
  error(err: unknown): GenesysError {
    if (err instanceof GenesysError && safe.has(err)) return err;
    // One error shared by many requests (a close's one reason, 12,500 reads queued behind the budget):
    // redacted once, and they keep sharing the result.
    const known = typeof err === 'object' && err !== null ? this.redacted.get(err) : undefined;
    if (known) return known;
    const source = err instanceof GenesysError ? err : undefined;
    const message = truncate(this.text(err instanceof Error ? err.message : String(err)), MAX_MESSAGE);
    const cause = source ? source.cause : err;
    // Every detail field of a GenesysError is an own property of the same name (status, genesysCode,
    // correlationId, retryAfter, field, missingPermission, candidates, sent...): all are kept.
    const details: GenesysErrorDetails = source ? { ...(source as GenesysErrorDetails) } : {};
    details.cause = cause === undefined || cause === err ? undefined : this.plainCause(cause);
    const out = new GenesysError(source?.code ?? 'genesys-error', message, details);
    safe.add(out);
    if (typeof err === 'object' && err !== null) this.redacted.set(err, out);
    return out;
  }

  /** A small stand-in for a cause: its redacted message and its error code (the first of its chain). */
  private plainCause(cause: unknown): Error {
    let code: string | undefined;
    let e: unknown = cause;
    for (let i = 0; i < 5 && e && typeof e === 'object' && code === undefined; i++) {
      const c = (e as { code?: unknown }).code;
      if (typeof c === 'string') code = c;
      e = (e as { cause?: unknown }).cause;
    }
    const text = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : 'see the message';
    const plain = new Error(truncate(this.text(text)));
    if (code) Object.defineProperty(plain, 'code', { value: code, enumerable: true });
    plain.stack = `Error: ${plain.message}`;
    return plain;
  }
}

/** Errors that went through a Redactor already (passing twice changes nothing, so skip it). */
const safe = new WeakSet<GenesysError>();
