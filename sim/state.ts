// Conversation state of the simulator: seeding, leg transitions, and the views the API answers with
// (Conversation, CallConversation, analytics). No HTTP here.
import { randomUUID } from 'node:crypto';
import {
  CALL_STATES,
  CallState,
  LastPartyPolicy,
  MEDIA_TYPES,
  ParticipantState,
  SeedConversation,
  SeedParticipant,
  SeededConversation,
  TERMINAL_STATES,
  TRANSITIONAL_STATES,
} from './types';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_PARTICIPANTS = 20; // conference limit

export const isTerminal = (s: string): boolean => (TERMINAL_STATES as readonly string[]).includes(s);
export const isTransitional = (s: string): boolean => (TRANSITIONAL_STATES as readonly string[]).includes(s);
export const isCallState = (s: unknown): s is CallState => typeof s === 'string' && (CALL_STATES as readonly string[]).includes(s);

/** A bad seed or transition: the control API answers 400 with this message. */
export class SeedError extends Error {}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A leg that ends goes `disconnected` and then `terminated`, back to back (genesys-api.md section 3, from the
 * official WebRTC SDK); a captured real read shows every ended leg as `terminated`.
 */
export const TERMINATED_AFTER_MS = 250;
/** Purposes whose legs Genesys answers without a `name` (agents: genesys-api.md section 3). */
const NAMELESS_PURPOSES: ReadonlySet<string> = new Set(['agent', 'user']);

/** Schedules a callback; the server tracks (unrefs, clears) every timer. */
export type Schedule = (ms: number, fn: () => void) => void;

/** Told after every change: a leg moved (previous: its state before), joined or a conversation was seeded (no previous). */
export type ChangeListener = (c: SeededConversation, p?: ParticipantState, previous?: CallState) => void;

export class World {
  readonly conversations = new Map<string, SeededConversation>();
  /** The Notification Service publishes its events from here. */
  onChange?: ChangeListener;

  constructor(
    private readonly schedule: Schedule,
    private readonly policy: () => LastPartyPolicy,
  ) {}

  clear(): void {
    this.conversations.clear();
  }

  /** Validates every conversation first, then stores them all (a bad scenario stores nothing). */
  seed(seeds: unknown): SeededConversation[] {
    if (!Array.isArray(seeds)) throw new SeedError('conversations must be an array');
    const built = seeds.map((s, i) => this.build(s as SeedConversation, `conversations[${i}]`));
    const stored: SeededConversation[] = [];
    for (const { conversation, timers } of built) {
      this.conversations.set(conversation.id, conversation);
      for (const t of timers) this.schedule(t.ms, t.fn);
      this.updateEnd(conversation);
      stored.push(conversation);
      this.onChange?.(conversation);
    }
    return stored;
  }

  private build(seed: SeedConversation, at: string): { conversation: SeededConversation; timers: { ms: number; fn: () => void }[] } {
    if (!seed || typeof seed !== 'object') throw new SeedError(`${at} must be an object`);
    const id = seed.id ?? randomUUID();
    if (typeof id !== 'string' || !UUID_RE.test(id)) throw new SeedError(`${at}.id must be a UUID`);
    const now = Date.now();
    let start = now - 60_000;
    if (seed.startTime !== undefined) {
      start = Date.parse(seed.startTime);
      if (Number.isNaN(start)) throw new SeedError(`${at}.startTime must be an ISO date`);
    }
    if (!Array.isArray(seed.participants) || seed.participants.length === 0) throw new SeedError(`${at}.participants must be a non-empty array`);
    if (seed.participants.length > MAX_PARTICIPANTS) throw new SeedError(`${at}.participants: at most ${MAX_PARTICIPANTS} participants`);
    const conversation: SeededConversation = { id, startTime: iso(start), participants: [] };
    const timers: { ms: number; fn: () => void }[] = [];
    const ids = new Set<string>();
    seed.participants.forEach((p, i) => this.buildParticipant(p, `${at}.participants[${i}]`, start + i * 1000, now, ids, conversation, timers));
    return { conversation, timers };
  }

  /** Validates one seeded participant and adds it to the conversation; its own timers go to `timers`. */
  private buildParticipant(
    p: SeedParticipant,
    pat: string,
    legStart: number,
    now: number,
    ids: Set<string>,
    conversation: SeededConversation,
    timers: { ms: number; fn: () => void }[],
  ): ParticipantState {
    if (!p || typeof p !== 'object') throw new SeedError(`${pat} must be an object`);
    const pid = p.id ?? randomUUID();
    if (typeof pid !== 'string' || !UUID_RE.test(pid)) throw new SeedError(`${pat}.id must be a UUID`);
    if (ids.has(pid)) throw new SeedError(`${pat}.id is used twice`);
    ids.add(pid);
    if (typeof p.purpose !== 'string' || !p.purpose) throw new SeedError(`${pat}.purpose is required`);
    const state = p.state ?? 'connected';
    if (!isCallState(state)) throw new SeedError(`${pat}.state must be one of ${CALL_STATES.join(', ')}`);
    const mediaType = p.mediaType ?? 'call';
    if (!MEDIA_TYPES.includes(mediaType)) throw new SeedError(`${pat}.mediaType must be one of ${MEDIA_TYPES.join(', ')}`);
    for (const f of ['name', 'userId', 'queueId', 'externalContactId', 'address', 'disconnectType'] as const) {
      if (p[f] !== undefined && typeof p[f] !== 'string') throw new SeedError(`${pat}.${f} must be a string`);
    }
    for (const f of ['connectAfterMs', 'endAfterMs'] as const) {
      if (p[f] !== undefined && (typeof p[f] !== 'number' || !(p[f]! >= 0))) throw new SeedError(`${pat}.${f} must be a number >= 0`);
    }
    const participant: ParticipantState = {
      id: pid,
      purpose: p.purpose,
      name: p.name,
      userId: p.userId,
      queueId: p.queueId,
      externalContactId: p.externalContactId,
      address: p.address,
      mediaType,
      communicationId: randomUUID(),
      state,
      held: p.held === true,
      muted: p.muted === true,
      confined: p.confined === true,
      recording: false,
      wrapupRequired: p.wrapupRequired === true,
      startTime: iso(legStart),
      disconnectPending: false,
    };
    if (!isTransitional(state) && state !== 'none') participant.connectedTime = iso(legStart + 500);
    if (isTerminal(state)) {
      participant.endTime = iso(Math.max(legStart + 1000, now - 1000));
      participant.disconnectType = p.disconnectType ?? 'endpoint';
    }
    conversation.participants.push(participant);
    if (p.connectAfterMs !== undefined && isTransitional(state)) {
      timers.push({ ms: p.connectAfterMs, fn: () => { if (isTransitional(participant.state)) this.setState(conversation, participant, 'connected'); } });
    }
    if (p.endAfterMs !== undefined && !isTerminal(state)) {
      timers.push({ ms: p.endAfterMs, fn: () => { if (!isTerminal(participant.state)) this.setState(conversation, participant, 'disconnected', 'endpoint'); } });
    }
    return participant;
  }

  /** A scripted join: one more participant on a live conversation, as a conference add or transfer makes one. */
  join(c: SeededConversation, seed: unknown): ParticipantState {
    if (c.participants.length >= MAX_PARTICIPANTS) throw new SeedError(`at most ${MAX_PARTICIPANTS} participants`);
    const now = Date.now();
    const timers: { ms: number; fn: () => void }[] = [];
    const p = this.buildParticipant(seed as SeedParticipant, 'participant', now - 500, now, new Set(c.participants.map((q) => q.id)), c, timers);
    for (const t of timers) this.schedule(t.ms, t.fn);
    this.updateEnd(c);
    this.onChange?.(c, p);
    return p;
  }

  /** Moves one leg to a state, with the timestamps the real API would show. */
  setState(conversation: SeededConversation, p: ParticipantState, state: CallState, disconnectType?: string): void {
    const now = iso(Date.now());
    const previous = p.state;
    const wasTerminal = isTerminal(p.state);
    p.state = state;
    if (state === 'connected' && !p.connectedTime) p.connectedTime = now;
    if (isTerminal(state)) {
      p.disconnectPending = false;
      if (!wasTerminal) {
        p.endTime = now;
        p.disconnectType = disconnectType ?? p.disconnectType ?? 'endpoint';
        if (state === 'disconnected') {
          this.schedule(TERMINATED_AFTER_MS, () => {
            if (p.state !== 'disconnected') return;
            p.state = 'terminated';
            this.onChange?.(conversation, p, 'disconnected');
          });
        }
      }
    } else {
      // A scripted transition may bring a leg back (e.g. a test re-using a conversation).
      p.endTime = undefined;
      p.disconnectType = undefined;
    }
    this.updateEnd(conversation);
    this.onChange?.(conversation, p, previous);
  }

  /** The conversation ends when its last participant leaves. */
  private updateEnd(c: SeededConversation): void {
    const live = c.participants.some((p) => !isTerminal(p.state));
    if (live) c.endTime = undefined;
    else if (!c.endTime) c.endTime = c.participants.reduce((max, p) => (p.endTime && p.endTime > max ? p.endTime : max), c.startTime);
  }

  /** The participant PATCH with state disconnected: 202 now, the leg ends later. */
  kick(c: SeededConversation, p: ParticipantState, delayMs: number): void {
    if (p.disconnectPending) return; // a repeated PATCH is idempotent
    p.disconnectPending = true;
    this.schedule(delayMs, () => {
      if (isTerminal(p.state)) return;
      this.setState(c, p, 'disconnected', 'client');
      const live = c.participants.filter((q) => !isTerminal(q.state));
      // What Genesys does when API removals leave a single party is undocumented: the policy decides.
      if (live.length === 1 && this.policy() === 'end-conversation') this.setState(c, live[0], 'disconnected', 'peer');
    });
  }

  /** The teardown endpoints: every live leg ends. */
  teardown(c: SeededConversation, delayMs: number): void {
    for (const p of c.participants) if (!isTerminal(p.state)) p.disconnectPending = true;
    this.schedule(delayMs, () => {
      for (const p of c.participants) if (!isTerminal(p.state)) this.setState(c, p, 'disconnected', 'client');
    });
  }
}

// ---- Views: the shapes the Platform API answers with. Absent values are left out, as the real API does.
// Real answers are less tidy than a fixture (genesys-api.md section 3): agent legs have no `name`, every
// participant lists all nine media arrays (unused ones empty), `selfUri`s are relative, every leg of an
// inbound call says `inbound`, and Conversation.recordingState is upper case where the call view's is not.

const mediaArray: Record<string, string> = { call: 'calls', chat: 'chats', email: 'emails', message: 'messages' };
const ALL_MEDIA_ARRAYS = ['calls', 'callbacks', 'chats', 'emails', 'messages', 'videos', 'screenshares', 'cobrowsesessions', 'socialExpressions'];

/** The name as Genesys shows it on a leg: none for agents, the caller-ID place for a customer, the queue's for acd. */
const shownName = (p: ParticipantState): string | undefined => (NAMELESS_PURPOSES.has(p.purpose) ? undefined : p.name);

function communication(p: ParticipantState): Record<string, unknown> {
  const base: Record<string, unknown> = {
    state: p.state,
    id: p.communicationId,
    held: p.held,
    disconnectType: p.disconnectType,
    connectedTime: p.connectedTime,
    disconnectedTime: isTerminal(p.state) ? p.endTime : undefined,
    direction: 'inbound',
    provider: 'Edge',
  };
  if (p.mediaType === 'call') {
    Object.assign(base, {
      recording: p.recording,
      recordingState: p.recording ? 'active' : 'none',
      muted: p.muted,
      confined: p.confined,
      self: p.address ? { addressNormalized: p.address } : undefined,
    });
  }
  return base;
}

function mediaArrays(p: ParticipantState): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of ALL_MEDIA_ARRAYS) out[m] = [];
  out[mediaArray[p.mediaType]] = [communication(p)];
  return out;
}

/** GET /api/v2/conversations/{id}: `Conversation` (no participant-level state). */
export function conversationView(c: SeededConversation): Record<string, unknown> {
  return {
    id: c.id,
    startTime: c.startTime,
    endTime: c.endTime,
    participants: c.participants.map((p) => ({
      id: p.id,
      startTime: p.startTime,
      endTime: p.endTime,
      connectedTime: p.connectedTime,
      name: shownName(p),
      userId: p.userId,
      queueId: p.queueId,
      externalContactId: p.externalContactId,
      purpose: p.purpose,
      address: p.address,
      ani: p.mediaType === 'call' ? p.address : undefined,
      wrapupRequired: p.wrapupRequired,
      wrapup: p.wrapup,
      attributes: {},
      ...mediaArrays(p),
    })),
    recordingState: 'NONE',
    divisions: [],
    selfUri: `/api/v2/conversations/${c.id}`,
  };
}

/** GET /api/v2/conversations/calls/{id}: `CallConversation`, flat voice participants, no conversation endTime. */
export function callConversationView(c: SeededConversation): Record<string, unknown> {
  return {
    id: c.id,
    participants: c.participants
      .filter((p) => p.mediaType === 'call')
      .map((p) => ({
        id: p.id,
        name: shownName(p),
        address: p.address,
        ani: p.address,
        startTime: p.startTime,
        connectedTime: p.connectedTime,
        endTime: p.endTime,
        purpose: p.purpose,
        state: p.state,
        direction: 'inbound',
        disconnectType: p.disconnectType,
        held: p.held,
        muted: p.muted,
        confined: p.confined,
        recording: p.recording,
        wrapupRequired: p.wrapupRequired,
        wrapup: p.wrapup,
        provider: 'Edge',
        user: p.userId ? { id: p.userId, selfUri: `/api/v2/users/${p.userId}` } : undefined,
        queue: p.queueId ? { id: p.queueId, selfUri: `/api/v2/routing/queues/${p.queueId}` } : undefined,
        externalContact: p.externalContactId ? { id: p.externalContactId } : undefined,
        attributes: {},
      })),
    otherMediaUris: [],
    recordingState: 'none',
    divisions: [],
    selfUri: `/api/v2/conversations/calls/${c.id}`,
  };
}

// ---- Analytics: POST /api/v2/analytics/conversations/details/query lives in sim/analytics.ts
