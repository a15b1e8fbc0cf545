// What a genesys-cloud-config node is to the flow nodes that use it (types only: the node is
// genesys-cloud-config.ts). It resolves its settings once at deploy; its users register with it (as Node-RED's
// MQTT broker config node does, core/network/10-mqtt.js register/deregister) and it pushes the reason to them
// when it is unusable, so each shows it in its status.
import type { Node, NodeDef } from 'node-red';
import type { ConversationReader, GenesysClient, GenesysError, KickLedger } from '../../lib';

/** The config's one client, reader and kick ledger, shared by every flow node that uses it. */
export interface ReadyConnection {
  state: 'ready';
  client: GenesysClient;
  reader: ConversationReader;
  /** Kicks of one conversation are decided one at a time. */
  ledger: KickLedger;
}

/** Not usable: a bad configuration at deploy ('broken'), or the node was closed ('closed'). */
export interface UnusableConnection {
  state: 'broken' | 'closed';
  /** Every msg of a user fails with it. */
  error: GenesysError;
}

export type GenesysConnection = ReadyConnection | UnusableConnection;

/** The config node as its flow file holds it (the credentials are apart). */
export interface GenesysConfigDef extends NodeDef {
  /** The config's schema version (nodes/genesys-cloud-config/migrations.ts); absent in a flow file before it. */
  version?: number;
  region?: string;
  apiBaseUrl?: string;
  authBaseUrl?: string;
  requestsPerMinute?: number | string;
  maxRetryAfterSeconds?: number | string;
  /** How long one request to Genesys may take, in seconds (a slow proxy, a large analytics query). */
  requestTimeoutSeconds?: number | string;
  /** "Use notifications (push)" (lib CONFIG_DEFAULTS.usePush: on); a boolean or "true"/"false". */
  usePush?: boolean | string;
}

export interface GenesysConfigCredentials {
  clientId?: string;
  clientSecret?: string;
}

/** A flow node that uses a config node: told when the config is unusable. */
export interface ConfigUser {
  readonly id: string;
  showConfigProblem(error: GenesysError): void;
}

export interface GenesysConfigNode extends Node<GenesysConfigCredentials> {
  connection: GenesysConnection;
  /** Adds a user; a config that is unusable tells it at once. */
  register(user: ConfigUser): void;
  deregister(user: ConfigUser): void;
}
