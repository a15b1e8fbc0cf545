// OAuth client-credentials token manager (docs/platform.md section 2):
//   POST {authBaseUrl}/oauth/token, Authorization: Basic base64(id:secret),
//   Content-Type: application/x-www-form-urlencoded, body grant_type=client_credentials (nothing else).
// One token per client, cached until shortly before expires_in; one grant in flight however many
// requests wait; invalidated on a 401. The secret and the token never appear in an error or a log.
import { cancelled, raceAbort } from './abort';
import { z } from 'zod';
import { GenesysError } from './errors';
import { HttpTransport, headerValue, isHostNotFound, parseJsonBody } from './http';
import { OAuthErrorBody, TokenResponse } from './schemas';
import { Redactor } from './redact';
import { RetryPolicy, parseRetryAfter, withRetry } from './retry';

export interface TokenManagerOptions {
  authBaseUrl: string;
  clientId: string;
  clientSecret: string;
  http: HttpTransport;
  policy: RetryPolicy;
  /** Learns every token issued; redacts foreign text (a default one knows the secret when not given). */
  redactor?: Redactor;
  now?: () => number;
}

/**
 * After the login host refused a grant (a 4xx other than 429: invalid_client and the other OAuth errors of
 * RFC 6749 section 5.2, which answers 400 or 401), no new grant for AUTH_BACKOFF_FIRST_MS, doubling with each
 * refusal up to AUTH_BACKOFF_MAX_MS. Meanwhile every request fails 'auth-failed' at once. Wrong credentials do
 * not fix themselves: without this, every msg sends one more grant with them to the login host. A new client
 * (a redeploy, a credentials change) starts clean.
 */
export const AUTH_BACKOFF_FIRST_MS = 2_000;
export const AUTH_BACKOFF_MAX_MS = 300_000;

/** Shortest token lifetime an OAuth client can have (300 s): used when expires_in is missing. */
const MIN_LIFETIME_S = 300;

/** Renew this long before expiry: 60 s or 10 % of the lifetime, whichever is smaller. */
export function renewMarginMs(expiresInSeconds: number): number {
  return Math.min(60_000, expiresInSeconds * 100);
}

export class TokenManager {
  private token: string | undefined;
  private expiresAt = 0;
  private inFlight: Promise<string> | undefined;
  private readonly basic: string;
  private readonly loginHost: string;
  private readonly now: () => number;
  private readonly redactor: Redactor;
  /** The last refusal by the login host, while grants are held back. */
  private refused: { error: GenesysError; until: number; count: number } | undefined;
  /** Token grant requests sent (every HTTP POST to /oauth/token). */
  grantRequests = 0;

  constructor(private readonly options: TokenManagerOptions) {
    this.basic = 'Basic ' + Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString('base64');
    this.loginHost = new URL(options.authBaseUrl).host;
    this.now = options.now ?? Date.now;
    this.redactor = options.redactor ?? new Redactor([options.clientSecret]);
    this.redactor.addBasic(options.clientId, options.clientSecret);
  }

  /** ms until a new grant may be sent after a refusal (0 when none is held back). */
  get authBackoffMs(): number {
    return this.refused ? Math.max(0, this.refused.until - this.now()) : 0;
  }

  /** True when a cached token is still good (no grant needed). */
  get hasValidToken(): boolean {
    return this.validToken !== undefined;
  }

  /** The cached token while it is still good, else undefined: the request path takes it without a wait. */
  get validToken(): string | undefined {
    return this.token !== undefined && this.now() < this.expiresAt ? this.token : undefined;
  }

  /**
   * A valid access token: the cached one, or a new grant (shared by every concurrent caller). The caller's
   * signal ends its own wait at once; the grant itself goes on for the others.
   */
  async getToken(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw cancelled(signal, 'the request was cancelled while getting a token');
    if (this.token !== undefined && this.now() < this.expiresAt) return this.token;
    if (!this.inFlight && this.refused && this.now() < this.refused.until) throw this.heldBack(this.refused);
    if (!this.inFlight) {
      const grant = this.grant().finally(() => {
        if (this.inFlight === grant) this.inFlight = undefined;
      });
      grant.catch(() => undefined); // every waiter may have gone: no unhandled rejection
      this.inFlight = grant;
    }
    return raceAbort(this.inFlight, signal, 'the request was cancelled while getting a token');
  }

  /** Drops the token after a 401. Only if it is still the one that failed: one 401 wave, one new grant. */
  invalidate(failedToken?: string): void {
    if (failedToken === undefined || failedToken === this.token) {
      this.token = undefined;
      this.expiresAt = 0;
    }
  }

  private async grant(): Promise<string> {
    const { http, policy } = this.options;
    const what = `token grant at ${this.loginHost}`;
    const requestedAt = this.now();
    let answer: TokenResponse;
    try {
      ({ value: answer } = await withRetry(() => this.grantOnce(), { policy, signals: [http.closeSignal], what }));
    } catch (err) {
      const e = this.describe(err);
      if (e.code === 'auth-failed' && e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429) {
        const count = (this.refused?.count ?? 0) + 1;
        const delay = Math.min(AUTH_BACKOFF_MAX_MS, AUTH_BACKOFF_FIRST_MS * 2 ** Math.min(count - 1, 20));
        this.refused = { error: e, until: this.now() + delay, count };
      }
      // Already retried here: the API request waiting for this token must not retry it again.
      throw e.final();
    }
    this.refused = undefined;
    const lifetimeS = answer.expires_in ?? MIN_LIFETIME_S;
    this.redactor.addToken(answer.access_token);
    this.token = answer.access_token;
    this.expiresAt = requestedAt + lifetimeS * 1000 - renewMarginMs(lifetimeS);
    return answer.access_token;
  }

  private async grantOnce(): Promise<TokenResponse> {
    this.grantRequests++;
    const res = await this.options.http.send({
      origin: this.options.authBaseUrl,
      method: 'POST',
      path: '/oauth/token',
      headers: { authorization: this.basic },
      form: 'grant_type=client_credentials',
      signal: this.options.http.closeSignal,
    });
    const details = { status: res.status, correlationId: res.correlationId };
    if (res.status >= 200 && res.status < 300) {
      let body: unknown;
      try {
        body = parseJsonBody(res.text);
      } catch {
        throw new GenesysError(
          'auth-failed',
          `the token answer from ${this.loginHost} is not JSON (status ${res.status}); is authBaseUrl the Genesys login host?`,
          details,
        );
      }
      const parsed = TokenResponse.safeParse(body);
      if (!parsed.success) {
        const hasToken = typeof (body as { access_token?: unknown } | undefined)?.access_token === 'string';
        throw new GenesysError(
          'auth-failed',
          hasToken
            ? `the token answer from ${this.loginHost} is malformed (expires_in is not a positive number)`
            : `the token answer from ${this.loginHost} has no access_token`,
          details,
        );
      }
      return parsed.data;
    }

    let oauth: Partial<z.infer<typeof OAuthErrorBody>> = {};
    try {
      const p = OAuthErrorBody.safeParse(parseJsonBody(res.text));
      if (p.success) oauth = p.data;
    } catch {
      /* not JSON: keep the status only */
    }
    const code = oauth.error ?? undefined;
    const withCode = { ...details, genesysCode: code };
    if (res.status === 429) {
      throw new GenesysError('rate-limited', `the login host ${this.loginHost} answered 429 (too many token requests)`, {
        ...withCode,
        retryAfter: parseRetryAfter(headerValue(res.headers, 'retry-after')),
      });
    }
    if (res.status >= 500) {
      throw new GenesysError(
        'genesys-error',
        `the login host ${this.loginHost} failed with status ${res.status}${code ? ` (${code})` : ''}`,
        withCode,
      );
    }
    if (code === 'invalid_client') {
      throw new GenesysError('auth-failed', 'the client id or secret was refused by Genesys (invalid_client)', withCode);
    }
    const description = this.redact(oauth.error_description ?? oauth.description ?? '');
    throw new GenesysError(
      'auth-failed',
      `the token grant was refused by ${this.loginHost} with status ${res.status}${code ? ` (${code})` : ''}${description ? `: ${description}` : ''}`,
      withCode,
    );
  }

  /** The error of a request while grants are held back: the last refusal, saying until when. */
  private heldBack(r: { error: GenesysError; until: number }): GenesysError {
    const s = Math.max(1, Math.ceil((r.until - this.now()) / 1000));
    return new GenesysError(
      'auth-failed',
      `${r.error.message} (no new token grant for ${s} s after this refusal; redeploy the config node or change its credentials to try at once)`,
      { status: r.error.status, genesysCode: r.error.genesysCode, correlationId: r.error.correlationId, retryable: false },
    );
  }

  /** Final error of a grant: network errors name the login host; never a secret. */
  private describe(err: unknown): GenesysError {
    if (!(err instanceof GenesysError)) {
      return new GenesysError('auth-failed', `the token grant at ${this.loginHost} failed`, { cause: err });
    }
    if (isHostNotFound(err)) {
      return new GenesysError(
        'network-error',
        `the login host ${this.loginHost} was not found: check the region (or the login origin) of the genesys-cloud-config node (ENOTFOUND)`,
        {
          cause: err,
        },
      );
    }
    if (err.code === 'network-error') {
      return new GenesysError(
        'network-error',
        `could not get a token: the login host ${this.loginHost} is unreachable (${this.redact(err.message)})`,
        {
          cause: err,
        },
      );
    }
    return err;
  }

  /** Belt and braces: Genesys does not echo secrets, but a proxy might (the client redacts again on the way out). */
  private redact(text: string): string {
    return this.redactor.foreign(text);
  }
}
