// The control API under /__sim/ (separate from the Genesys paths): seed conversations and clients, script leg
// transitions, set faults, expire tokens, read the request log and counters, change options, reset.
// No bearer; JSON in and out; errors answered as { error }. SimControl (control-client.ts) is its client.
import type * as http from 'node:http';
import type { OAuth } from './auth';
import { type ConversationStore, SeedError, isCallState } from './conversation-store';
import type { Faults } from './faults';
import { type ControlRoute, ControlError, type Reply } from './module';
import type { RequestLog } from './request-log';
import { Router } from './router';
import type { Settings } from './settings';
import type { Timers } from './timers';
import type { FaultConfig, ParticipantState, SeededConversation, SimClient, SimOptionsPatch, Transition } from './types';

export interface ControlParts {
  store: ConversationStore;
  oauth: OAuth;
  faults: Faults;
  log: RequestLog;
  settings: Settings;
  timers: Timers;
  /** POST /__sim/reset: everything back to a clean slate. */
  reset(): void;
}

export class ControlApi {
  private readonly router = new Router<ControlRoute>();

  /** moduleRoutes: the control endpoints of the API areas (SimModule.control). */
  constructor(
    private readonly parts: ControlParts,
    moduleRoutes: ControlRoute[],
  ) {
    for (const r of [...this.routes(), ...moduleRoutes]) this.router.add(r);
  }

  /** Answers a request under /__sim/ (path: the pathname, raw: its body). */
  handle(res: http.ServerResponse, method: string, path: string, raw: Buffer | 'too-large'): void {
    const reply = ({ status, body, headers }: Reply): void => {
      if (res.headersSent || res.destroyed) return;
      res.statusCode = status;
      for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v);
      if (body === undefined) {
        res.setHeader('Content-Length', '0');
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json; charset=UTF-8');
      res.end(JSON.stringify(body));
    };
    try {
      if (raw === 'too-large') return reply({ status: 413, body: { error: 'body too large' } });
      const body: unknown = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      const found = this.router.match(method, path.split('/').slice(2)); // after '', '__sim'
      if (!found) return reply({ status: 404, body: { error: `unknown control endpoint ${method} ${path}` } });
      reply(found.route.handle(body, found.params));
    } catch (err) {
      if (err instanceof SyntaxError) return reply({ status: 400, body: { error: `malformed JSON: ${err.message}` } });
      if (err instanceof SeedError || err instanceof ControlError) return reply({ status: 400, body: { error: err.message } });
      reply({ status: 500, body: { error: err instanceof Error ? err.message : String(err) } });
    }
  }

  /** Adds the conversations and clients of a scenario; a bad scenario adds nothing. */
  seed(scenario: unknown): SeededConversation[] {
    if (!scenario || typeof scenario !== 'object') throw new SeedError('the scenario must be an object');
    const s = scenario as { conversations?: unknown; clients?: unknown };
    if (s.clients !== undefined) {
      if (!Array.isArray(s.clients)) throw new SeedError('clients must be an array');
      for (const c of s.clients as SimClient[]) {
        if (!c || typeof c.clientId !== 'string' || typeof c.clientSecret !== 'string')
          throw new SeedError('each client needs clientId and clientSecret strings');
        const life = c.tokenLifetimeSeconds;
        if (life !== undefined && (typeof life !== 'number' || !(life > 0))) throw new SeedError('tokenLifetimeSeconds must be a positive number');
      }
    }
    const stored = this.parts.store.seed(s.conversations ?? []);
    for (const c of (s.clients ?? []) as SimClient[]) this.parts.oauth.addClient(c);
    return stored;
  }

  private routes(): ControlRoute[] {
    const { store, oauth, faults, log, settings } = this.parts;
    const done: Reply = { status: 204 };
    return [
      { method: 'POST', path: 'conversations', handle: (body) => ({ status: 200, body: this.seed(body) }) },
      { method: 'GET', path: 'conversations', handle: () => ({ status: 200, body: [...store.conversations.values()] }) },
      {
        method: 'GET',
        path: 'conversations/{conversationId}',
        handle: (_, { conversationId: id }) => {
          const c = store.find(id);
          return c ? { status: 200, body: c } : { status: 404, body: { error: `no conversation ${id}` } };
        },
      },
      { method: 'PUT', path: 'faults', handle: (body) => (faults.set((body ?? {}) as FaultConfig), done) },
      {
        method: 'POST',
        path: 'fail-next',
        handle: (body) => (faults.addFailRules(Array.isArray(body) ? body : (body as { rules?: unknown } | undefined)?.rules), done),
      },
      { method: 'POST', path: 'transitions', handle: (body) => (this.transition(body as Partial<Transition>), done) },
      { method: 'POST', path: 'tokens/expire', handle: () => (oauth.expireAll(), done) },
      { method: 'GET', path: 'requests', handle: () => ({ status: 200, body: log.entries() }) },
      { method: 'GET', path: 'counters', handle: () => ({ status: 200, body: log.counters }) },
      { method: 'POST', path: 'reset', handle: () => (this.parts.reset(), done) },
      { method: 'PATCH', path: 'options', handle: (body) => (settings.patch((body ?? {}) as SimOptionsPatch), done) },
    ];
  }

  /** Moves one leg to a state, now or afterMs later, as the platform would (a scripted call event). */
  private transition(t: { [K in keyof Transition]?: unknown } | undefined): void {
    const { store, timers } = this.parts;
    if (!t || typeof t !== 'object') throw new ControlError('a transition must be an object');
    const c = typeof t.conversationId === 'string' ? store.conversations.get(t.conversationId.toLowerCase()) : undefined;
    if (!c) throw new ControlError(`unknown conversationId ${String(t.conversationId)}`);
    const p: ParticipantState | undefined = c.participants.find((x) => x.id === t.participantId);
    if (!p) throw new ControlError(`unknown participantId ${String(t.participantId)}`);
    if (!isCallState(t.state)) throw new ControlError(`state must be a call state, not ${String(t.state)}`);
    if (t.afterMs !== undefined && (typeof t.afterMs !== 'number' || t.afterMs < 0)) throw new ControlError('afterMs must be a number >= 0');
    if (t.disconnectType !== undefined && typeof t.disconnectType !== 'string') throw new ControlError('disconnectType must be a string');
    const state = t.state;
    const apply = (): void => store.setState(c, p, state, (t.disconnectType as string | undefined) ?? 'endpoint');
    if (t.afterMs) timers.schedule(t.afterMs, apply);
    else apply();
  }
}
