// Public types of the Genesys Cloud simulator. The contract in the task brief; additions are marked "added".
import type { NotificationOptions } from './notifications/service';

export type { NotificationOptions };

/** Communication states of the real Platform API (calls[].state, CallMediaParticipant.state). */
export const CALL_STATES = [
  'alerting',
  'dialing',
  'contacting',
  'offering',
  'connected',
  'disconnected',
  'terminated',
  'converting',
  'uploading',
  'transmitting',
  'parked',
  'none',
] as const;
export type CallState = (typeof CALL_STATES)[number];

/** Not yet stable: the leg is ringing / being placed. */
export const TRANSITIONAL_STATES: readonly CallState[] = ['alerting', 'dialing', 'contacting', 'offering'];
export const TERMINAL_STATES: readonly CallState[] = ['disconnected', 'terminated'];

export type MediaType = 'call' | 'chat' | 'email' | 'message';
export const MEDIA_TYPES: readonly MediaType[] = ['call', 'chat', 'email', 'message'];

export interface SimClient {
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds?: number; // default 86400
}

export type LastPartyPolicy = 'stay' | 'end-conversation';

export interface SimOptions {
  port?: number; // default 0 (OS picks)
  host?: string; // default 127.0.0.1
  clients?: SimClient[]; // default [{ clientId: 'sim-client-id', clientSecret: 'sim-client-secret' }]
  rateLimitPerMinute?: number; // per token, default 300 (sliding 60 s window); answered as inin-ratelimit-allowed
  rateLimitWindowMs?: number; // tests only: the rate window scaled down (default 60000, counted in 60 slots)
  disconnectDelayMs?: number; // a 202'd disconnect ends the leg this much later, default 200
  lastPartyPolicy?: LastPartyPolicy; // default 'stay'
  /** added: analytics lags: a conversation shows up in the details query this long after its startTime,
   * and a leg that ended less than this long ago still shows no segmentEnd (nor the conversation a conversationEnd). Default 0. */
  analyticsLagMs?: number;
  /** added: the Notification Service (heartbeat, channel lifetime, limits, event lag). */
  notifications?: NotificationOptions;
  scenario?: Scenario; // seeded at start
  log?: (line: string) => void; // one line per request; never tokens or secrets
}

/** Who a participant is: given by a seed, kept as given. */
export interface ParticipantIdentity {
  purpose: string;
  name?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  address?: string;
}

export interface SeedParticipant extends ParticipantIdentity {
  id?: string;
  state?: CallState; // default 'connected'
  held?: boolean;
  muted?: boolean;
  confined?: boolean;
  wrapupRequired?: boolean;
  disconnectType?: string; // for legs seeded terminal
  connectAfterMs?: number; // a leg seeded alerting/dialing/contacting/offering becomes connected after this
  endAfterMs?: number; // the leg ends on its own after this (disconnectType 'endpoint')
  mediaType?: MediaType; // default 'call'
}

export interface SeedConversation {
  id?: string; // uuid, generated if absent
  startTime?: string;
  participants: SeedParticipant[];
}

export interface Scenario {
  conversations: SeedConversation[];
  clients?: SimClient[];
}

/** One participant as the simulator holds it (GET /__sim/conversations/{id}). */
export interface ParticipantState extends ParticipantIdentity {
  id: string;
  mediaType: MediaType;
  communicationId: string;
  state: CallState;
  held: boolean;
  muted: boolean;
  confined: boolean;
  recording: boolean;
  wrapupRequired: boolean;
  wrapup?: { code?: string; notes?: string; [k: string]: unknown };
  wrapupSkipped?: boolean;
  disconnectType?: string;
  startTime: string;
  connectedTime?: string;
  endTime?: string;
  /** added: a 202'd disconnect is pending and will end the leg. */
  disconnectPending: boolean;
}

/** A conversation as stored (what seed() returns and getState() reads). */
export interface SeededConversation {
  id: string;
  startTime: string;
  endTime?: string;
  participants: ParticipantState[];
}

export interface FaultConfig {
  rate429?: number; // 0..1 share of API requests answered 429 too.many.requests.retry.after
  retryAfterSeconds?: number | [number, number]; // Retry-After of injected 429s (default 1)
  rate5xx?: { 500?: number; 502?: number; 503?: number; 504?: number };
  resetRate?: number; // 0..1 share of requests whose socket is destroyed without an answer
  latencyMs?: number | [number, number]; // added before answering
  conflictOnTransitional?: boolean; // PATCH on a leg in alerting/dialing/contacting/offering answers 409
  notAUserOnCallsPatch?: boolean; // PATCH /api/v2/conversations/calls/{id}/participants/{pid} answers 400 not.a.user
  appliesTo?: 'api' | 'all'; // default 'api' (faults not applied to /oauth/token)
  seed?: number; // seeds the fault randomness so chaos runs are repeatable
}

export interface FailRule {
  method?: string;
  path?: string; // regex on the path
  status: number;
  code?: string;
  retryAfter?: number;
  reset?: boolean; // destroy the socket
  count?: number; // default 1
}

export interface LoggedRequest {
  time: string;
  method: string;
  path: string;
  status: number; // 0 when the socket was destroyed without an answer
  clientId?: string;
  correlationId: string;
  body?: unknown;
  durationMs?: number; // added
}

export interface Counters {
  tokenGrants: number;
  apiRequests: number;
  patches: number;
  gets: number;
  rateLimited: number;
  teardown: { postDisconnect: number; deleteConversation: number; patchCallConversation: number };
}

export interface Transition {
  conversationId: string;
  participantId: string;
  state: string;
  afterMs?: number;
  disconnectType?: string;
}

export type SimOptionsPatch = Partial<Pick<SimOptions, 'rateLimitPerMinute' | 'disconnectDelayMs' | 'lastPartyPolicy' | 'analyticsLagMs'>>;
