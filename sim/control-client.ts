// SimControl: a small typed HTTP client for the simulator's control API (/__sim/...). Tests drive the
// simulator over HTTP only, so this works as well against a simulator started by the CLI in another process.
import { httpRequest } from './http-request';
import { NotificationControl } from './notifications/control';
import {
  Counters,
  FailRule,
  FaultConfig,
  LoggedRequest,
  ParticipantState,
  Scenario,
  SeedParticipant,
  SeededConversation,
  SimOptionsPatch,
  Transition,
} from './types';

export class SimControl {
  /** added: the Notification Service's faults and state. */
  readonly notifications = new NotificationControl((method, path, body) => this.call(method, path, body));

  constructor(readonly baseUrl: string) {}

  /** added: a participant joins a live conversation; the simulator publishes the events of the change. */
  async join(conversationId: string, participant: SeedParticipant): Promise<ParticipantState> {
    return this.call('POST', `/__sim/conversations/${encodeURIComponent(conversationId)}/participants`, participant);
  }

  /** Adds conversations (and clients); returns the conversations as stored, ids filled in. */
  async seed(scenario: Scenario): Promise<SeededConversation[]> {
    return this.call('POST', '/__sim/conversations', scenario);
  }

  /** Internal state of one conversation, every participant's state included (shape: SeededConversation). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async getState(conversationId: string): Promise<any> {
    return this.call('GET', `/__sim/conversations/${encodeURIComponent(conversationId)}`);
  }

  /** added: every stored conversation. */
  async listConversations(): Promise<SeededConversation[]> {
    return this.call('GET', '/__sim/conversations');
  }

  /** Replaces the fault configuration ({} switches every fault off). */
  async faults(config: FaultConfig): Promise<void> {
    await this.call('PUT', '/__sim/faults', config);
  }

  /** One-shot faults: each rule answers the next `count` matching requests. */
  async failNext(rules: FailRule[]): Promise<void> {
    await this.call('POST', '/__sim/fail-next', rules);
  }

  async transition(t: Transition): Promise<void> {
    await this.call('POST', '/__sim/transitions', t);
  }

  /** Every token issued so far answers 401 from now on. */
  async expireTokens(): Promise<void> {
    await this.call('POST', '/__sim/tokens/expire');
  }

  async requests(): Promise<LoggedRequest[]> {
    return this.call('GET', '/__sim/requests');
  }

  async counters(): Promise<Counters> {
    return this.call('GET', '/__sim/counters');
  }

  async reset(): Promise<void> {
    await this.call('POST', '/__sim/reset');
  }

  async setOptions(o: SimOptionsPatch): Promise<void> {
    await this.call('PATCH', '/__sim/options', o);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {};
    const r = await httpRequest(new URL(path, this.baseUrl), { method, headers, body: payload });
    if (r.status >= 200 && r.status < 300) return r.json as T;
    const detail = (r.json as { error?: string } | undefined)?.error ?? r.text;
    throw new Error(`simulator control ${method} ${path} answered ${r.status}: ${detail}`);
  }
}
