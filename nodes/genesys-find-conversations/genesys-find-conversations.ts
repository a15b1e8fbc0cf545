// Finds the live conversations of a user (or queue, or caller address) when the flow knows who, not which
// call (docs/architecture.md 2.5c; the workflow is lib/find-conversations.ts): outputs them as one array, or one msg per
// conversation with msg.conversationId and msg.participantId set, ready for genesys-disconnect-participant.
import type { NodeAPI } from 'node-red';
import { type FlowNodeDef, type Outcome, registerFlowNode, TypedInputs, type Typed, type Versioned } from '../shared/flow-node';
import { FIND_DEFAULTS, type FindCriteria, findLiveConversations, parseFindOptions } from '../../lib';
import { MIGRATIONS } from './migrations';

const TYPE = 'genesys-find-conversations';

/** The find node as its flow file holds it (options: lib parseFindOptions). */
interface FindConversationsDef extends FlowNodeDef, Typed<'who'> {
  searchBy?: string;
  mediaType?: string;
  intervalHours?: number | string;
  split?: boolean | string;
}

export = function (RED: NodeAPI) {
  registerFlowNode(RED, {
    type: TYPE,
    migrations: MIGRATIONS,
    // A flow file without these options uses lib's defaults: by user id, voice, the last 24 h.
    parse: parseFindOptions,
    defaults: FIND_DEFAULTS,
    work: (node, config: Versioned<FindConversationsDef>, settings) => {
      const { searchBy, mediaType, intervalHours, split } = settings;
      const inputs = new TypedInputs(RED, node, { who: [config.who, config.whoType, searchBy] });
      return async (msg, ctx) => {
        // Validate everything before any request (lib validates the criteria again, with the field names).
        const who = await inputs.read(msg, (read) => read('who'));
        const criteria: FindCriteria = { [searchBy]: who === undefined || who === null ? '' : who, mediaType, intervalHours };
        const { client, reader } = ctx.connection();

        const result = await findLiveConversations(client, reader, criteria, {
          signal: ctx.signal,
          onWait: (info) => ctx.phase('waiting', `${Math.ceil(info.ms / 1000)}s`),
          onPhase: (phase) => ctx.phase(phase),
        });
        const found = result.conversations;
        const status: Outcome['status'] = {
          fill: found.length ? 'green' : 'grey',
          key: 'found',
          extra: String(found.length) + (result.truncated ? '+' : ''),
        };
        // None found is an answer too: one msg with payload [] (a flow that must answer never hangs).
        if (!split || found.length === 0) {
          msg.payload = found;
          return { out: msg, status };
        }
        // One msg per conversation, carrying the leg to act on (and never a stale one from the incoming msg).
        const msgs = found.map((c) => {
          const m = RED.util.cloneMessage(msg);
          m.payload = c;
          m.conversationId = c.conversationId;
          if (c.participantId) m.participantId = c.participantId;
          else delete m.participantId;
          return m;
        });
        return { out: [msgs], status };
      };
    },
  });
};
