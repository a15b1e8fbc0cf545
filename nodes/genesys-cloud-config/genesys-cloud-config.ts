// Config node: region, credentials and limits. Owns ONE GenesysClient + ConversationReader (one token, one
// rate-limit budget) shared by every flow node that points at it, closed when the node closes. Also serves
// the editor's region list and "Test connection" admin endpoints.
import { GenesysClient } from '../../lib/client';
import { ConversationReader } from '../../lib/conversation-reader';
import { KickLedger } from '../../lib/kick-ledger';
import { GenesysError, invalidInput, isGenesysError } from '../../lib/errors';
import { CUSTOM_REGION, REGIONS, resolveOrigins } from '../../lib/regions';
import type { GenesysConnection } from '../shared/flow-node';

const TYPE = 'genesys-cloud-config';
/** What Node-RED's editor sends back for a password credential the user did not change. */
const PASSWORD_PLACEHOLDER = '__PWRD__';
const ENV_RE = /^\$\{(\S+)\}$/;
const TEST_TIMEOUT_MS = 30_000;

interface Settings {
  region: string;
  apiBaseUrl?: string;
  authBaseUrl?: string;
  clientId: string;
  clientSecret: string;
  requestsPerMinute: number;
  maxRetryAfterSeconds: number;
}

function positiveInteger(value: unknown, field: string, dflt: number): number {
  if (value === undefined || value === null || value === '') return dflt;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n <= 0) throw invalidInput(field, `must be a positive whole number, got ${JSON.stringify(String(value).slice(0, 20))}`);
  return n;
}

/**
 * A credential after Node-RED's substitution. Node-RED replaces a whole-value `${NAME}` with the env var
 * when it is set and leaves it as typed when it is not: say which variable is missing (never the value).
 */
function credential(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw invalidInput(field, 'is empty: set it in the genesys-cloud-config node (or as ${ENV_VAR})');
  const env = ENV_RE.exec(text);
  if (env) throw invalidInput(field, `the environment variable ${env[1]} is not set`);
  return text;
}

/** Validates everything before a client exists, so a bad config never sends a request. */
function validate(raw: Record<string, unknown>): Settings {
  // Absent or blank (a flow file without it): the default region. Anything else must be a string.
  const absent = raw.region === undefined || raw.region === null || (typeof raw.region === 'string' && raw.region.trim() === '');
  if (!absent && typeof raw.region !== 'string') throw invalidInput('region', `must be a region domain such as mypurecloud.com, got a ${typeof raw.region}`);
  const region = absent ? 'mypurecloud.com' : String(raw.region).trim();
  const custom = region.toLowerCase() === CUSTOM_REGION;
  // Throws invalid-input naming region / apiBaseUrl / authBaseUrl.
  resolveOrigins(region, custom ? { apiBaseUrl: raw.apiBaseUrl as string, authBaseUrl: raw.authBaseUrl as string } : undefined);
  return {
    region,
    apiBaseUrl: custom ? String(raw.apiBaseUrl).trim() : undefined,
    authBaseUrl: custom ? String(raw.authBaseUrl).trim() : undefined,
    clientId: credential(raw.clientId, 'clientId'),
    clientSecret: credential(raw.clientSecret, 'clientSecret'),
    requestsPerMinute: positiveInteger(raw.requestsPerMinute, 'requestsPerMinute', 300),
    maxRetryAfterSeconds: positiveInteger(raw.maxRetryAfterSeconds, 'maxRetryAfterSeconds', 180),
  };
}

function newClient(s: Settings): GenesysClient {
  return new GenesysClient({
    region: s.region,
    apiBaseUrl: s.apiBaseUrl,
    authBaseUrl: s.authBaseUrl,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    requestsPerMinute: s.requestsPerMinute,
    maxRetryAfterSeconds: s.maxRetryAfterSeconds,
  });
}

function asGenesysError(err: unknown): GenesysError {
  if (isGenesysError(err)) return err;
  return new GenesysError('genesys-error', err instanceof Error ? err.message : String(err), { cause: err });
}

export = function (RED: any) {
  function GenesysCloudConfigNode(this: any, config: any) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.name = config.name;
    node.region = config.region;
    const connection: GenesysConnection = {};
    node.connection = connection;
    try {
      const settings = validate({ ...config, ...(node.credentials ?? {}) });
      connection.client = newClient(settings);
      connection.reader = new ConversationReader(connection.client);
      connection.ledger = new KickLedger();
    } catch (err) {
      connection.error = asGenesysError(err);
      // One clear line in the log at deploy; flow nodes repeat it on every msg and in their status.
      node.warn(connection.error.message);
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      const client = connection.client;
      connection.client = undefined;
      connection.reader = undefined;
      connection.ledger = undefined;
      connection.error = new GenesysError('cancelled', 'the genesys-cloud-config node was closed');
      if (!client) return done();
      client.close().then(() => done(), () => done());
    });
  }

  RED.nodes.registerType(TYPE, GenesysCloudConfigNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
    },
  });

  // One source for the editor's dropdown: lib/regions.ts.
  RED.httpAdmin.get(`/${TYPE}/regions`, RED.auth.needsPermission(`${TYPE}.read`), (_req: any, res: any) => {
    res.json({ regions: REGIONS, custom: CUSTOM_REGION, default: 'mypurecloud.com' });
  });

  // "Test connection": gets a token and reads the organisation with the dialog's values. Answers never carry
  // the secret or the token.
  RED.httpAdmin.post(`/${TYPE}/test`, RED.auth.needsPermission(`${TYPE}.write`), async (req: any, res: any) => {
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    const id = typeof body.id === 'string' ? body.id : '';
    let client: GenesysClient | undefined;
    try {
      const stored = id ? RED.nodes.getCredentials(id) ?? {} : {};
      const deployed = id ? RED.nodes.getNode(id) : null;
      let clientId = typeof body.clientId === 'string' ? body.clientId : '';
      let clientSecret = typeof body.clientSecret === 'string' ? body.clientSecret : '';
      if (clientSecret === PASSWORD_PLACEHOLDER) clientSecret = typeof stored.clientSecret === 'string' ? stored.clientSecret : '';
      if (clientId === PASSWORD_PLACEHOLDER) clientId = typeof stored.clientId === 'string' ? stored.clientId : '';
      const settings = validate({
        region: body.region,
        apiBaseUrl: body.apiBaseUrl,
        authBaseUrl: body.authBaseUrl,
        clientId: substituteEnv(clientId, deployed),
        clientSecret: substituteEnv(clientSecret, deployed),
        requestsPerMinute: body.requestsPerMinute,
        maxRetryAfterSeconds: body.maxRetryAfterSeconds,
      });
      client = newClient(settings);
      const deadline = AbortSignal.timeout(TEST_TIMEOUT_MS);
      const result = await client.testConnection(deadline).catch((err) => {
        // The client reports any abort as 'cancelled'; here the only abort is our deadline.
        if (!deadline.aborted) throw err;
        throw new GenesysError('network-error', `no answer from Genesys Cloud within ${TEST_TIMEOUT_MS / 1000} s (check the region / origins and the network)`);
      });
      res.json({ ok: true, organization: { name: result.organization?.name }, correlationId: result.correlationId });
    } catch (err) {
      const e = asGenesysError(err);
      res.json({
        ok: false,
        error: { code: e.code, message: e.message, status: e.status, genesysCode: e.genesysCode, correlationId: e.correlationId, field: e.field },
      });
    } finally {
      if (client) await client.close().catch(() => undefined);
    }
  });

  /** The same whole-value `${NAME}` substitution Node-RED applies to credentials of a deployed node. */
  function substituteEnv(value: string, deployed: any): string {
    const m = ENV_RE.exec(value.trim());
    if (!m) return value;
    let v: unknown;
    try {
      v = deployed && RED.util.getSetting ? RED.util.getSetting(deployed, m[1]) : process.env[m[1]];
    } catch {
      v = process.env[m[1]];
    }
    return typeof v === 'string' ? v : value;
  }
};
