// What an API area of the simulator is (a SimModule) and what it is given (SimContext). server.ts wires the
// modules; each area lives in its own file under routes/ and is written against these types only.
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConversationStore } from './conversation-store';
import type { Faults } from './faults';
import type { TeardownEndpoint } from './request-log';
import type { Tunables } from './settings';
import type { Timers } from './timers';
import type { SimOptions } from './types';

/** An answer: JSON body (none: an empty body), extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An authenticated, rate-counted /api/v2 request that matched a route. */
export interface ApiRequest {
  req: http.IncomingMessage;
  /** The path parameters by name, as they stand in the path (not decoded). */
  params: Record<string, string>;
  /** The body as received (at most 1 MB); routes that need JSON read it with jsonBody(). */
  raw: Buffer;
  /** The OAuth client of the bearer token. */
  clientId: string;
}

export interface ApiRoute {
  method: string;
  /** The path after /api/v2/, a {name} segment being a parameter: 'conversations/{conversationId}'. A literal
   * segment wins over a parameter at the same place, without falling back (so 'conversations/calls' is never
   * read as a conversation id). */
  path: string;
  /** An endpoint that ends the call for everyone: counted on arrival, whatever the answer. */
  teardown?: TeardownEndpoint;
  /** Answers, or throws an ApiError (a Genesys ErrorBody). */
  handle(r: ApiRequest): Reply | Promise<Reply>;
}

/** A control endpoint under /__sim/ (no bearer, JSON in and out, errors answered as { error }). */
export interface ControlRoute {
  method: string;
  /** The path after /__sim/, with {name} parameters as in ApiRoute. */
  path: string;
  /** body: the parsed JSON body (undefined when empty). Bad input: throw a ControlError (400). */
  handle(body: unknown, params: Record<string, string>): Reply;
}

/** A bad control request: the control API answers 400 { error: message }. */
export class ControlError extends Error {}

/** One API area: its routes and, when it needs them, control endpoints, a WebSocket and clean-up. */
export interface SimModule {
  routes?: ApiRoute[];
  control?: ControlRoute[];
  /** An HTTP upgrade (a WebSocket): take the socket and return true, or return false to leave it. */
  upgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** POST /__sim/reset: back to a clean slate (the server's timers are already cleared). */
  reset?(): void;
  /** The server is closing: drop sockets (the server's timers are already cleared). */
  close?(): void;
}

/** What a module is given: the shared state of one simulator. */
export interface SimContext {
  store: ConversationStore;
  faults: Faults;
  /** Every timer goes through here: unref'd, cleared on reset and close. */
  timers: Timers;
  /** The options as they are now (PATCH /__sim/options changes them). */
  settings(): Readonly<Tunables>;
  /** The options the simulator was started with (an area reads its own, e.g. `notifications`). */
  options: Readonly<SimOptions>;
}

export type SimModuleFactory = (sim: SimContext) => SimModule;
