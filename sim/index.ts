// Genesys Cloud simulator: a real HTTP server on loopback speaking the Platform API subset our nodes use
// (token grant, conversation reads, participant PATCHes, analytics query, teardown endpoints), with a
// control API under /__sim/ for tests. Shares nothing with lib/ but the public API facts.
import { SimServer } from './server';
import { DEFAULT_CLIENT } from './auth';
import { ORGANIZATION_ID } from './routes/organization';
import { SimControl } from './control-client';
import { Scenario, SimOptions } from './types';
import demo from './scenarios/demo.json';

export * from './types';
export type { NotificationControl, NotificationState, TopicRejection } from './notifications/control';
export { SimControl, DEFAULT_CLIENT, ORGANIZATION_ID };

export interface SimHandle {
  /** Like http://127.0.0.1:54321: the API (/api/v2/...) and the login (/oauth/token) share this origin. */
  url: string;
  control: SimControl;
  close(): Promise<void>;
}

/** Starts a simulator; close() stops it, clears its timers and drops its connections. */
export async function start(options: SimOptions = {}): Promise<SimHandle> {
  const sim = new SimServer(options);
  const url = await sim.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return { url, control: new SimControl(url), close: () => sim.close() };
}

/** The demo scenario (sim/scenarios/demo.json): three conferences with fixed UUIDs. A fresh copy each call. */
export function demoScenario(): Scenario {
  return JSON.parse(JSON.stringify(demo)) as Scenario;
}
