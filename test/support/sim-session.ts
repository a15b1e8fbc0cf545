// Shared set-up of the lib tests that run against the simulator (await-terminal, conversation-reader, kick):
// one simulator per file, reset before each test; a fresh GenesysClient and ConversationReader for each test;
// and after each test the check that nothing ever ended the call for everyone.
import { start, type SeedParticipant } from '../../sim';
import { GenesysClient } from '../../lib/platform/client';
import { ConversationReader } from '../../lib/conversation/conversation-reader';
import { KickLedger } from '../../lib/conversation/kick-ledger';
import { seedConversation } from '../../testkit/fixtures';
import { assertNoTeardown } from '../../testkit/no-teardown';
import { simClient } from '../../testkit/sim-client';

export type Sim = Awaited<ReturnType<typeof start>>;

/** A conversation as the simulator returns it from seed() and getState(), the fields the tests read. */
export interface SeededLeg {
  id: string;
  state: string;
  purpose: string;
  endTime?: string;
}
export interface Seeded {
  id: string;
  endTime?: string;
  participants: SeededLeg[];
}

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
  seed(participants: SeedParticipant[]): Promise<{ cid: string; ids: string[] }> {
    return seedConversation(this.sim, participants);
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
    session.client = simClient(session.sim.url, {});
    session.reader = new ConversationReader(session.client);
    session.ledger = new KickLedger();
  });
  afterEach(async () => {
    try {
      // Whatever a test did, nothing may ever have ended the call for everyone.
      await assertNoTeardown(session.sim.control);
    } finally {
      await session.client.close();
    }
  });
  return session;
}
