// Reads one conversation and outputs its participants through lib's list workflow: all, only the live ones, or
// those matching a selector; as one array or one msg per participant.
import { conversationIdOf, getConnection, selectorOf, settingsOf, setupFlowNode } from '../shared/flow-node';
import { listParticipants, parseListOptions } from '../../lib';

const TYPE = 'genesys-list-participants';

export = function (RED: any) {
  function GenesysListParticipantsNode(this: any, config: any) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.name = config.name;
    node.genesysId = config.genesys;
    const { settings, problem } = settingsOf(parseListOptions, config);

    setupFlowNode(RED, node, TYPE, async (msg, ctx) => {
      // Validate everything before any request.
      const conversationId = await conversationIdOf(RED, node, msg, config);
      const selector = await selectorOf(RED, node, msg, config);
      const { reader } = getConnection(RED, node.genesysId);

      ctx.phase('reading');
      const { conversation, participants } = await listParticipants(reader, {
        conversationId,
        selector,
        liveOnly: settings.liveOnly,
        signal: ctx.signal,
        onWait: (info) => ctx.phase('waiting', `${Math.ceil(info.ms / 1000)}s`),
      });
      msg.conversation = conversation;
      const status = { fill: 'green', key: 'listed', extra: String(participants.length) };
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
    }, problem);
  }

  RED.nodes.registerType(TYPE, GenesysListParticipantsNode);
};
