// The options a running simulator can change (PATCH /__sim/options), and what they were at start.
import { ControlError } from './module';
import type { SimOptions, SimOptionsPatch } from './types';

export type Tunables = Required<SimOptionsPatch>;

export class Settings {
  private readonly initial: Tunables;
  private values: Tunables;

  constructor(options: SimOptions) {
    this.initial = {
      rateLimitPerMinute: options.rateLimitPerMinute ?? 300,
      disconnectDelayMs: options.disconnectDelayMs ?? 200,
      lastPartyPolicy: options.lastPartyPolicy ?? 'stay',
      analyticsLagMs: options.analyticsLagMs ?? 0,
    };
    this.values = { ...this.initial };
  }

  get current(): Readonly<Tunables> {
    return this.values;
  }

  patch(o: SimOptionsPatch): void {
    if (o.rateLimitPerMinute !== undefined && !(typeof o.rateLimitPerMinute === 'number' && o.rateLimitPerMinute >= 1))
      throw new ControlError('rateLimitPerMinute must be >= 1');
    if (o.disconnectDelayMs !== undefined && !(typeof o.disconnectDelayMs === 'number' && o.disconnectDelayMs >= 0))
      throw new ControlError('disconnectDelayMs must be >= 0');
    if (o.lastPartyPolicy !== undefined && !['stay', 'end-conversation'].includes(o.lastPartyPolicy))
      throw new ControlError('lastPartyPolicy must be stay or end-conversation');
    if (o.analyticsLagMs !== undefined && !(typeof o.analyticsLagMs === 'number' && o.analyticsLagMs >= 0))
      throw new ControlError('analyticsLagMs must be >= 0');
    for (const k of Object.keys(o))
      if (!['rateLimitPerMinute', 'disconnectDelayMs', 'lastPartyPolicy', 'analyticsLagMs'].includes(k))
        throw new ControlError(`unknown option ${k}`);
    this.values = { ...this.values, ...o } as Tunables;
  }

  /** Back to the options the simulator started with. */
  reset(): void {
    this.values = { ...this.initial };
  }
}
