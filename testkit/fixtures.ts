// The conferences the tests and the benchmarks seed into the simulator, and the user ids they name.
import type { SeedConversation, SeededConversation, SeedParticipant, SimControl } from '../sim';
import { randomUUID } from 'node:crypto';

export const USER_A = 'e0000000-0000-4000-8000-00000000000a';
export const USER_B = 'e0000000-0000-4000-8000-00000000000b';
export const USER_C = 'e0000000-0000-4000-8000-00000000000c';
export const USER_D = 'e0000000-0000-4000-8000-00000000000d';
/** A well-formed id that no conversation or participant has. */
export const NOBODY = 'c0000000-0000-4000-8000-0000000000ff';

/** The participants of a 5-party conference: customer, agent, a held expert, a ringing leg, and user D twice
 * (failed leg + live leg). As on the real platform, agent legs have no name and the customer's name is the
 * caller-ID place (docs/platform.md section 3). */
export const CONFERENCE: SeedParticipant[] = [
  { purpose: 'customer', name: 'Lawrenceburg IN', address: 'tel:+15551234567' },
  { purpose: 'agent', userId: USER_A },
  { purpose: 'user', userId: USER_B, held: true },
  { purpose: 'user', userId: USER_C, state: 'alerting' },
  { purpose: 'user', userId: USER_D, state: 'terminated', disconnectType: 'transfer.noanswer' },
  { purpose: 'user', userId: USER_D },
];

/** A call of three: the customer, agent USER_A and user USER_B. */
export const THREE_PARTY: SeedParticipant[] = [
  { purpose: 'customer', name: 'Lawrenceburg IN' },
  { purpose: 'agent', userId: USER_A },
  { purpose: 'user', userId: USER_B },
];

/** A 4-party conference for bulk runs: a customer and three agents, each with a user id of its own.
 * `targetExtra` goes on agent 1 (participant 1, the one the benchmarks and the chaos run kick). */
export function fourParty(targetExtra: Partial<SeedParticipant> = {}): SeedConversation {
  return {
    participants: [
      { purpose: 'customer', name: 'Customer', address: 'tel:+15550100' },
      { purpose: 'agent', name: 'Agent 1', userId: randomUUID(), ...targetExtra },
      { purpose: 'agent', name: 'Agent 2', userId: randomUUID() },
      { purpose: 'agent', name: 'Agent 3', userId: randomUUID() },
    ],
  };
}

/** Seeds one conversation with these participants; returns its id and the participants' ids in order. */
export async function seedConversation(
  sim: { control: Pick<SimControl, 'seed'> },
  participants: SeedParticipant[],
): Promise<{ cid: string; ids: string[] }> {
  const [conv] = await sim.control.seed({ conversations: [{ participants }] });
  return { cid: conv.id, ids: conv.participants.map((p) => p.id) };
}

/** Seeds in batches (a control request per batch stays small). */
export async function seedMany(control: Pick<SimControl, 'seed'>, conferences: SeedConversation[], batch = 250): Promise<SeededConversation[]> {
  const out: SeededConversation[] = [];
  for (let i = 0; i < conferences.length; i += batch) {
    out.push(...(await control.seed({ conversations: conferences.slice(i, i + batch) })));
  }
  return out;
}
