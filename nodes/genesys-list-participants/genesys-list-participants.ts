// Reads one conversation and outputs its participants through lib's list workflow: all, only the live ones, or
// those matching a selector; as one array or one msg per participant.
import type { NodeAPI } from 'node-red';
import { conversationIdFrom, type FlowNodeDef, registerFlowNode, selectorFrom, type Typed, TypedInputs, type Versioned } from '../shared/flow-node';
import { LIST_DEFAULTS, listParticipants, parseListOptions } from '../../lib';
import { MIGRATIONS } from './migrations';

/** The list node as its flow file holds it (options: lib parseListOptions). */
interface ListParticipantsDef extends FlowNodeDef, Typed<'conversationId'>, Typed<'target'> {
  liveOnly?: boolean | string;
  split?: boolean | string;
}

export = function (RED: NodeAPI) {
  registerFlowNode(RED, {
    type: 'genesys-list-participants',
    migrations: MIGRATIONS,
    parse: parseListOptions,
    defaults: LIST_DEFAULTS,
    work: (node, config: Versioned<ListParticipantsDef>, settings) => {
      const inputs = new TypedInputs(RED, node, {
        conversationId: [config.conversationId, config.conversationIdType, 'conversationId'],
        target: [config.target, config.targetType, 'target'],
      });
      const conversationIdIsDefault = inputs.readsDefault('conversationId');
      return async (msg, ctx) => {
        // Validate everything before any request.
        const { conversationId, selector } = await inputs.read(msg, (read) => ({
          conversationId: conversationIdFrom(read('conversationId'), msg, conversationIdIsDefault),
          selector: selectorFrom(read('target')),
        }));
        const { reader } = ctx.connection();

        ctx.phase('reading');
        const { conversation, participants } = await listParticipants(reader, {
          conversationId,
          selector,
          liveOnly: settings.liveOnly,
          signal: ctx.signal,
          onWait: (info) => ctx.phase('waiting', `${Math.ceil(info.ms / 1000)}s`),
        });
        msg.conversation = conversation;
        const status = { fill: 'green', key: 'listed', extra: String(participants.length) } as const;
        if (!settings.split) {
          msg.payload = participants;
          return { out: msg, status };
        }
        // No participant matches: the msg still goes out, once, with payload [] (as in array mode). Sending
        // nothing would end it silently, and a flow that must answer (http in -> http response) would hang.
        if (participants.length === 0) {
          msg.payload = [];
          return { out: msg, status };
        }
        // One msg per participant, sent together on the one output (cloneMessage keeps msg.req/msg.res).
        const msgs = participants.map((p) => {
          const m = RED.util.cloneMessage(msg);
          m.payload = p;
          return m;
        });
        return { out: [msgs], status };
      };
    },
  });
};
