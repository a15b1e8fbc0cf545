// The simulator's store of conversations: seeding, leg transitions, the asynchronous kick and teardown.
// No HTTP here; the API's views of a conversation are in conversation-views.ts.
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
 * A leg that ends goes `disconnected` and then `terminated`, back to back (docs/platform.md section 3, from the
 * official WebRTC SDK); a captured real read shows every ended leg as `terminated`.
 */
export const TERMINATED_AFTER_MS = 250;

/** Schedules a callback; the server tracks (unrefs, clears) every timer (timers.ts). */
export type Schedule = (ms: number, fn: () => void) => void;

/**
 * Told of every leg state change, after it is made (e.g. to push a notification event), and of a participant
 * joining: previous is the leg's state before, undefined when it joined. Must not throw.
 */
export type LegListener = (conversation: SeededConversation, participant: ParticipantState, previous?: CallState) => void;

export class ConversationStore {
  readonly conversations = new Map<string, SeededConversation>();
  private readonly listeners: LegListener[] = [];

  constructor(
    private readonly schedule: Schedule,
    private readonly policy: () => LastPartyPolicy,
  ) {}

  clear(): void {
    this.conversations.clear();
  }

  /** A conversation by id, in any case (ids are stored as seeded). */
  find(id: string): SeededConversation | undefined {
    return this.conversations.get(id.toLowerCase()) ?? this.conversations.get(id);
  }

  /** Listens for every leg state change from now on (seeding is not a change; reset keeps listeners). */
  onLegChange(listener: LegListener): void {
    this.listeners.push(listener);
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

  /** Validates one seeded participant and adds it to the conversation; its own timers go to `timers`. Later
   * joiners start a little later (legStart), as in a real conference. */
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
      timers.push({
        ms: p.connectAfterMs,
        fn: () => {
          if (isTransitional(participant.state)) this.setState(conversation, participant, 'connected');
        },
      });
    }
    if (p.endAfterMs !== undefined && !isTerminal(state)) {
      timers.push({
        ms: p.endAfterMs,
        fn: () => {
          if (!isTerminal(participant.state)) this.setState(conversation, participant, 'disconnected', 'endpoint');
        },
      });
    }
    return participant;
  }

  /** A scripted join: one more participant on a live conversation, as a conference add or transfer makes one. */
  join(c: SeededConversation, seed: unknown): ParticipantState {
    if (c.participants.length >= MAX_PARTICIPANTS) throw new SeedError(`at most ${MAX_PARTICIPANTS} participants`);
    const now = Date.now();
    const timers: { ms: number; fn: () => void }[] = [];
    const ids = new Set(c.participants.map((q) => q.id));
    const p = this.buildParticipant(seed as SeedParticipant, 'participant', now - 500, now, ids, c, timers);
    for (const t of timers) this.schedule(t.ms, t.fn);
    this.updateEnd(c);
    this.changed(c, p, undefined);
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
            this.changed(conversation, p, 'disconnected');
          });
        }
      }
    } else {
      // A scripted transition may bring a leg back (e.g. a test re-using a conversation).
      p.endTime = undefined;
      p.disconnectType = undefined;
    }
    this.updateEnd(conversation);
    this.changed(conversation, p, previous);
  }

  private changed(c: SeededConversation, p: ParticipantState, previous: CallState | undefined): void {
    for (const listener of this.listeners) listener(c, p, previous);
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
