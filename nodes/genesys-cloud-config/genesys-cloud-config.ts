// Config node: region, credentials and limits. Owns ONE GenesysClient + ConversationReader (one token, one
// rate-limit budget) shared by every flow node that points at it, closed when the node closes. Also serves
// the editor's region list and "Test connection" admin endpoints.
import {
  CLIENT_DEFAULTS,
  CONFIG_DEFAULTS,
  type ClientSettings,
  ConversationReader,
  CUSTOM_REGION,
  DEFAULT_REGION,
  GenesysClient,
  GenesysError,
  invalidInput,
  isGenesysError,
  KickLedger,
  MAX_RETRY_AFTER_SECONDS,
  parseClientOptions,
  probePush,
  type PushStatus,
  REGIONS,
  resolveOrigins,
} from '../../lib';
import { randomUUID } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { editorDefaults } from '../shared/editor-defaults';
import { migrate } from '../shared/migrations';
import type { ConfigUser, GenesysConfigCredentials, GenesysConfigDef, GenesysConfigNode, GenesysConnection } from './connection';
import { MIGRATIONS } from './migrations';

const TYPE = 'genesys-cloud-config';
/** What Node-RED's editor sends back for a password credential the user did not change. */
const PASSWORD_PLACEHOLDER = '__PWRD__';
const ENV_RE = /^\$\{(\S+)\}$/;
/** "Test connection" waits as long as one request may take. */
const TEST_TIMEOUT_MS = CLIENT_DEFAULTS.requestTimeoutMs;

/**
 * A credential after Node-RED's substitution. Node-RED replaces a whole-value `${NAME}` with the env var
 * when it is set and leaves it as typed when it is not: say which variable is missing (never the value).
 */
function credential(field: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw invalidInput(field, 'is empty: set it in the genesys-cloud-config node (or as ${ENV_VAR})');
  const env = ENV_RE.exec(text);
  if (env) throw invalidInput(field, `the environment variable ${env[1]} is not set`);
  return text;
}

/**
 * Validates everything before a client exists (lib's parseClientOptions), so a bad config never sends a request.
 * Only the config node's own fields are read: the origins, the credentials and lib's CONFIG_DEFAULTS options.
 */
function validate(raw: Record<string, unknown>): ClientSettings {
  const options: Record<string, unknown> = {
    apiBaseUrl: raw.apiBaseUrl,
    authBaseUrl: raw.authBaseUrl,
    clientId: raw.clientId,
    clientSecret: raw.clientSecret,
  };
  for (const key of Object.keys(CONFIG_DEFAULTS)) options[key] = raw[key];
  // "Use notifications (push)": on unless the flow file says otherwise (lib's own default is off).
  options.usePush = raw.usePush ?? CONFIG_DEFAULTS.usePush;
  return parseClientOptions(options, credential);
}

function newClient(s: ClientSettings): GenesysClient {
  // The settings as parsed (the custom origins normalised).
  return new GenesysClient({ ...s, apiBaseUrl: s.origins.apiBaseUrl, authBaseUrl: s.origins.authBaseUrl });
}

/** Any failure as a GenesysError, without the raw cause (Node-RED would copy it into msgs and the log). */
function asGenesysError(err: unknown): GenesysError {
  if (isGenesysError(err)) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new GenesysError('genesys-error', text.length > 200 ? `${text.slice(0, 200)}...` : text);
}

/** What a deployed config node keeps for "Test connection" with the stored secret. */
interface Deployed {
  node: GenesysConfigNode;
  /** The deployed values (after Node-RED's substitution), to compare with what the dialog sends. */
  region: string;
  origins?: { apiBaseUrl: string; authBaseUrl: string };
  clientIds: string[];
}

const same = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

export = function (RED: NodeAPI) {
  const deployed = new Map<string, Deployed>();

  function GenesysCloudConfigNode(this: GenesysConfigNode, raw: GenesysConfigDef) {
    // The node is made from the flow file's own object (Node-RED keeps hidden fields on it); the settings
    // are read from the migrated copy.
    RED.nodes.createNode(this, raw);
    setUp(this, raw);
  }

  /** Resolves the config node's settings once, and serves its users. */
  function setUp(node: GenesysConfigNode, raw: GenesysConfigDef): void {
    const { config, problem } = migrate(raw, MIGRATIONS);
    const users = new Map<string, ConfigUser>();
    /** Resolved once: the settings, the client and its reader and ledger, or the reason there are none. */
    const resolve = (): GenesysConnection => {
      try {
        if (problem) throw problem;
        const settings = validate({ ...config, ...(node.credentials ?? {}) });
        const client = newClient(settings);
        // The typed boundary with Node-RED's registry: the credentials as stored (before substitution).
        const stored = (RED.nodes.getCredentials?.(node.id) ?? {}) as GenesysConfigCredentials;
        deployed.set(node.id, {
          node,
          region: settings.region,
          origins: client.origins,
          // The value as typed (maybe ${VAR}, what the editor shows) and after substitution.
          clientIds: [settings.clientId, stored.clientId].filter((v): v is string => typeof v === 'string'),
        });
        // Push unavailable (a Rejected topic, no channel): one line in the log per reason; the waits poll and
        // say so in their output and status.
        let told = '';
        client.notifications.watch((s: PushStatus) => {
          if (s.state !== 'unavailable' || s.reason === told) return;
          told = s.reason;
          node.warn(`push unavailable, waits poll: ${s.reason}`);
        });
        return { state: 'ready', client, reader: new ConversationReader(client), ledger: new KickLedger() };
      } catch (err) {
        const error = asGenesysError(err);
        deployed.set(node.id, { node, region: '', clientIds: [] });
        // One clear line in the log at deploy; flow nodes repeat it on every msg and in their status.
        node.warn(error.message);
        return { state: 'broken', error };
      }
    };
    node.connection = resolve();

    node.register = (user) => {
      users.set(user.id, user);
      if (node.connection.state === 'broken') user.showConfigProblem(node.connection.error);
    };
    node.deregister = (user) => {
      if (users.get(user.id) === user) users.delete(user.id);
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      if (deployed.get(node.id)?.node === node) deployed.delete(node.id);
      const previous = node.connection;
      node.connection = { state: 'closed', error: new GenesysError('cancelled', 'the genesys-cloud-config node was closed') };
      users.clear();
      if (previous.state !== 'ready') return done();
      previous.client.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType<GenesysConfigNode, GenesysConfigDef, object, GenesysConfigCredentials>(TYPE, GenesysCloudConfigNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
    },
    settings: editorDefaults(TYPE, { ...CONFIG_DEFAULTS, version: MIGRATIONS.length, maxSeconds: MAX_RETRY_AFTER_SECONDS }),
  });

  // One source for the editor's dropdown: lib/regions.ts.
  RED.httpAdmin.get(`/${TYPE}/regions`, RED.auth.needsPermission(`${TYPE}.read`), (_req: Request, res: Response) => {
    res.json({ regions: REGIONS, custom: CUSTOM_REGION, default: DEFAULT_REGION });
  });

  // "Test connection": gets a token and reads the organisation. Two cases, never mixed:
  // - the dialog sends the stored-secret placeholder (the user did not retype the secret): the DEPLOYED config
  //   node's own client is tested (its region, origins, client id and secret, substituted by Node-RED at
  //   deploy). The posted region/origins/client id must be the deployed ones, or nothing is sent: the stored
  //   secret never goes to an origin a dialog user typed.
  // - a freshly typed secret: the posted values, as typed. `${VAR}` is NOT expanded here: only a deployed
  //   node's own configuration is substituted, by Node-RED; the runtime's environment never goes out this way.
  // Answers never carry the secret or the token.
  RED.httpAdmin.post(`/${TYPE}/test`, RED.auth.needsPermission(`${TYPE}.write`), async (req: Request, res: Response) => {
    const body: Record<string, unknown> = req.body && typeof req.body === 'object' ? req.body : {};
    let client: GenesysClient | undefined;
    try {
      const deadline = AbortSignal.timeout(TEST_TIMEOUT_MS);
      let target: GenesysClient;
      if (body.clientSecret === PASSWORD_PLACEHOLDER || body.clientId === PASSWORD_PLACEHOLDER) {
        target = deployedClient(body);
      } else {
        // Never substituted here (sent as typed, it would reach nobody's secret); refused with a clear word,
        // since the user most likely meant the deployed node's variable.
        for (const field of ['clientId', 'clientSecret', 'region', 'apiBaseUrl', 'authBaseUrl']) {
          if (typeof body[field] === 'string' && ENV_RE.test(body[field].trim())) {
            throw invalidInput(
              field,
              '${...} is substituted only in a deployed config node (by Node-RED), not by Test connection: deploy, then test with the stored secret',
            );
          }
        }
        const settings = validate({
          ...body,
          clientId: typeof body.clientId === 'string' ? body.clientId : '',
          clientSecret: typeof body.clientSecret === 'string' ? body.clientSecret : '',
        });
        client = newClient(settings);
        target = client;
      }
      const result = await target.testConnection(deadline).catch((err) => {
        // The client reports any abort as 'cancelled'; here the only abort is our deadline.
        if (!deadline.aborted) throw err;
        throw new GenesysError(
          'network-error',
          `no answer from Genesys Cloud within ${TEST_TIMEOUT_MS / 1000} s (check the region / origins and the network)`,
        );
      });
      // Are the detail-event topics Permitted for this client? (A subscription on a channel, see probePush.)
      const push = await probePush(target.notifications, randomUUID(), TEST_TIMEOUT_MS / 3);
      res.json({ ok: true, organization: { name: result.organization?.name }, correlationId: result.correlationId, push });
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

  /** The deployed client of config node body.id, when the dialog's settings are the deployed ones. */
  function deployedClient(body: Record<string, unknown>): GenesysClient {
    const id = typeof body.id === 'string' ? body.id : '';
    const entry = id ? deployed.get(id) : undefined;
    if (!entry) {
      throw invalidInput(
        'clientSecret',
        'the stored secret is only used by a deployed config node, and this one is not deployed: deploy it first, or type the secret to test these settings',
      );
    }
    const connection = entry.node.connection;
    if (connection.state !== 'ready') throw connection.error;
    const refuse = (field: string) =>
      invalidInput(
        field,
        'differs from the deployed config node: the stored secret is only sent with the deployed region, origins and client id. Deploy the change first, or type the secret again to test these settings',
      );
    const postedId = body.clientId;
    if (postedId !== PASSWORD_PLACEHOLDER && !(typeof postedId === 'string' && entry.clientIds.some((v) => v.trim() === postedId.trim())))
      throw refuse('clientId');
    const region = typeof body.region === 'string' && body.region.trim() !== '' ? body.region : DEFAULT_REGION;
    if (!same(region, entry.region)) {
      // An AWS name for the same domain (eu-west-1 for mypurecloud.ie) is the same region.
      let posted: string | undefined;
      try {
        posted = resolveOrigins(region).authBaseUrl;
      } catch {
        /* unknown or custom: compared below */
      }
      if (posted === undefined || posted !== entry.origins?.authBaseUrl) throw refuse('region');
    }
    if (region.trim().toLowerCase() === CUSTOM_REGION) {
      for (const field of ['apiBaseUrl', 'authBaseUrl'] as const) {
        let posted: string | undefined;
        try {
          posted = new URL(String(body[field]).trim()).origin;
        } catch {
          /* not a URL */
        }
        if (posted === undefined || posted !== entry.origins?.[field]) throw refuse(field);
      }
    }
    return connection.client;
  }
};
