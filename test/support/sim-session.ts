// Shared set-up of the lib tests that run against the simulator (await-terminal, conversation-reader, kick):
// one simulator per file, reset before each test; a fresh GenesysClient and ConversationReader for each test;
// and after each test the check that nothing ever ended the call for everyone. Plus the fixtures they share.
import * as assert from 'node:assert/strict';
import { start, type SeedParticipant } from '../../sim';
import { GenesysClient } from '../../lib/platform/client';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { KickLedger } from '../../lib/conversation/kick-ledger';

export type Sim = Awaited<ReturnType<typeof start>>;

/** A conversation as the simulator returns it from seed() and getState(), the fields the tests read. */
export interface SeededLeg { id: string; state: string; purpose: string; endTime?: string }
export interface Seeded { id: string; endTime?: string; participants: SeededLeg[] }

export const USER_A = 'e0000000-0000-4000-8000-00000000000a';
export const USER_B = 'e0000000-0000-4000-8000-00000000000b';
export const USER_C = 'e0000000-0000-4000-8000-00000000000c';
export const USER_D = 'e0000000-0000-4000-8000-00000000000d';
/** A well-formed id that no conversation or participant has. */
export const NOBODY = 'c0000000-0000-4000-8000-0000000000ff';

/** The participants of a 5-party conference: customer, agent, a held expert, a ringing leg, and user D twice
 * (failed leg + live leg). As on the real platform, agent legs have no name and the customer's name is the
 * caller-ID place (genesys-api.md section 3). */
export const CONFERENCE: SeedParticipant[] = [
  { purpose: 'customer', name: 'Lawrenceburg IN', address: 'tel:+15551234567' },
  { purpose: 'agent', userId: USER_A },
  { purpose: 'user', userId: USER_B, held: true },
  { purpose: 'user', userId: USER_C, state: 'alerting' },
  { purpose: 'user', userId: USER_D, state: 'terminated', disconnectType: 'transfer.noanswer' },
  { purpose: 'user', userId: USER_D },
];

/** What useSimulatorClient() gives the tests. The fields are set by its hooks: read them inside tests only. */
export class SimulatorSession {
  /** The file's simulator: started once, reset before each test. */
  sim!: Sim;
  /** A new client on the simulator for each test, closed after it. */
  client!: GenesysClient;
  /** A new reader over `client` for each test. */
  reader!: ConversationReader;
  /** A new kick ledger for each test (one per config node in Node-RED). */
  ledger!: KickLedger;

  /** Seeds one conversation with these participants; returns its id and the participants' ids in order. */
  async seed(participants: unknown[]): Promise<{ cid: string; ids: string[] }> {
    const [conv] = (await this.sim.control.seed({ conversations: [{ participants }] } as never)) as unknown as Seeded[];
    return { cid: conv.id, ids: conv.participants.map((p) => p.id) };
  }

  /** The simulator's current state of one conversation. */
  async state(cid: string): Promise<Seeded> {
    return (await this.sim.control.getState(cid)) as Seeded;
  }
}

/** Registers the mocha hooks of a describe() block that talks to the simulator through lib/, and returns the
 * session whose fields the tests read. */
export function useSimulatorClient(): SimulatorSession {
  const session = new SimulatorSession();
  before(async () => {
    session.sim = await start({ port: 0 });
  });
  after(async () => {
    await session.sim.close();
  });
  beforeEach(async () => {
    await session.sim.control.reset();
    session.client = new GenesysClient({ region: 'custom', apiBaseUrl: session.sim.url, authBaseUrl: session.sim.url, clientId: 'sim-client-id', clientSecret: 'sim-client-secret' });
    session.reader = new ConversationReader(session.client);
    session.ledger = new KickLedger();
  });
  afterEach(async () => {
    try {
      // Whatever a test did, nothing may ever have ended the call for everyone.
      assert.deepEqual((await session.sim.control.counters()).teardown, { postDisconnect: 0, deleteConversation: 0, patchCallConversation: 0 });
    } finally {
      await session.client.close();
    }
  });
  return session;
}
