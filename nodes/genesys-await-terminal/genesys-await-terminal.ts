// Waits until a participant's leg (or, without participantId, the whole conversation) has ended, through
// lib/await-terminal.ts. Output 1: ended; output 2: timed out, with the last state seen.
import { conversationIdOf, readTyped, setupFlowNode, getConnection } from '../shared/flow-node';
import { optionalId, parseTimeoutSeconds } from '../../lib/validate';
import { awaitTerminal } from '../../lib/await-terminal';

const TYPE = 'genesys-await-terminal';

export = function (RED: any) {
  function GenesysAwaitTerminalNode(this: any, config: any) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.name = config.name;
    node.genesysId = config.genesys;

    setupFlowNode(RED, node, TYPE, async (msg, ctx) => {
      // Validate everything before any request.
      const conversationId = await conversationIdOf(RED, node, msg, config);
      const participantId = optionalId(
        await readTyped(RED, node, msg, config.participantId, config.participantIdType, 'participantId'),
        'participantId',
      );
      // The node's value; a node left empty (or from a flow file without it) takes msg.timeout, else 30 s.
      const nodeTimeout = config.timeout;
      const rawTimeout = nodeTimeout === undefined || nodeTimeout === null || String(nodeTimeout).trim() === ''
        ? msg.timeout ?? 30
        : nodeTimeout;
      const timeoutMs = parseTimeoutSeconds(rawTimeout, 'timeout') * 1000;
      const { reader } = getConnection(RED, node.genesysId);

      ctx.phase('waiting');
      const result = await awaitTerminal(reader, {
        conversationId,
        participantId,
        timeoutMs,
        signal: ctx.signal,
        onProgress: () => ctx.phase('waiting'),
      });
      msg.payload = {
        conversationId: result.conversationId,
        participantId: result.participantId,
        state: result.state,
        disconnectType: result.disconnectType,
        endedAt: result.endedAt,
        waitedMs: result.waitedMs,
        polls: result.polls,
      };
      if (result.timedOut) return { out: [null, msg], status: { fill: 'yellow', key: 'timedOut' } };
      return { out: [msg, null], status: { fill: 'green', key: 'ended' } };
    });
  }

  RED.nodes.registerType(TYPE, GenesysAwaitTerminalNode);
};
