// Plain node:http helpers for the simulator tests: real requests over real sockets, nothing mocked.
import type * as http from 'node:http';
import * as assert from 'node:assert/strict';
import { start, type SimHandle, type SimOptions } from '../../sim';
import { httpRequest } from '../../sim/http-request';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  agent?: http.Agent | false;
}

/** One HTTP request. An object body is sent as JSON. A destroyed socket rejects (code ECONNRESET). */
export async function request(url: string, o: RequestOptions = {}): Promise<Answer> {
  let body: Buffer | undefined;
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.body !== undefined) {
    if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) body = Buffer.from(o.body);
    else {
      body = Buffer.from(JSON.stringify(o.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    headers['Content-Length'] = String(body.length);
  }
  return (await httpRequest(url, { method: o.method ?? 'GET', headers, body, agent: o.agent })) as Answer;
}

export const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A token from the simulator's default client. */
export async function token(sim: SimHandle, id = 'sim-client-id', secret = 'sim-client-secret'): Promise<string> {
  const r = await request(`${sim.url}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: basic(id, secret), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token;
}

/** An /api/v2 call with a bearer token. */
export function api(
  sim: SimHandle,
  tok: string,
  method: string,
  path: string,
  body?: RequestOptions['body'],
  extra: RequestOptions = {},
): Promise<Answer> {
  return request(`${sim.url}${path}`, { ...extra, method, body, headers: { Authorization: `Bearer ${tok}`, ...(extra.headers ?? {}) } });
}

/** Asserts a Genesys ErrorBody with this status and code, and a correlation id matching the header. */
export function assertError(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.code, code, r.text);
  assert.equal(r.json.status, status);
  assert.equal(typeof r.json.message, 'string');
  assert.equal(typeof r.json.messageWithParams, 'string');
  assert.equal(typeof r.json.messageParams, 'object');
  assert.deepEqual(r.json.details, []);
  assert.deepEqual(r.json.errors, []);
  assert.match(String(r.headers['inin-correlation-id']), UUID);
  assert.equal(r.json.contextId, r.headers['inin-correlation-id']);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until check() returns true (or fails after timeoutMs: generous, a loaded machine is slow, and a
 * condition that holds costs no more for it). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(20);
  }
}

// Fixed ids used across the tests.
export const CONV = '11111111-1111-4111-8111-111111111111';
export const P = {
  customer: '22222222-0000-4000-8000-000000000001',
  agent1: '22222222-0000-4000-8000-000000000002',
  agent2: '22222222-0000-4000-8000-000000000003',
  sup: '22222222-0000-4000-8000-000000000004',
};
export const USER = { agent1: '33333333-0000-4000-8000-000000000001', agent2: '33333333-0000-4000-8000-000000000002' };
export const QUEUE = '44444444-0000-4000-8000-000000000001';

/** A 4-party conference: customer, two agents, supervisor. */
export function conference(id = CONV) {
  return {
    id,
    participants: [
      { id: P.customer, purpose: 'customer', name: 'Casey', address: 'tel:+15550100' },
      { id: P.agent1, purpose: 'agent', name: 'Alex', userId: USER.agent1, queueId: QUEUE, wrapupRequired: true },
      { id: P.agent2, purpose: 'agent', name: 'Blair', userId: USER.agent2, queueId: QUEUE },
      { id: P.sup, purpose: 'user', name: 'Sam' },
    ],
  };
}

/** One simulator for the suite; before each test a clean slate (options as started), the conference seeded and
 * a fresh token, handed to use(). */
export function conferenceEachTest(options: SimOptions, use: (sim: SimHandle, tok: string) => void): void {
  let sim: SimHandle;
  before(async () => {
    sim = await start(options);
  });
  after(() => sim.close());
  beforeEach(async () => {
    await sim.control.reset();
    await sim.control.seed({ conversations: [conference()] });
    use(sim, await token(sim));
  });
}
