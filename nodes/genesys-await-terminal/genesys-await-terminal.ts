// Waits until a participant's leg (waitFor "participant", the default) or the whole conversation ("conversation")
// has ended, through lib/await-terminal.ts. Output 1: ended; output 2: timed out, with the last state seen.
import { conversationIdOf, getConnection, readTyped, settingsOf, setupFlowNode, type Outcome } from '../shared/flow-node';
import {
  type AwaitResult,
  awaitTerminal,
  awaitTimeoutMs,
  invalidInput,
  optionalId,
  parseAwaitOptions,
} from '../../lib';

const TYPE = 'genesys-await-terminal';

/** The msg out of a finished wait: output 1 when the target ended, output 2 on the timeout. */
function present(msg: any, result: AwaitResult): Outcome {
  msg.payload = {
    conversationId: result.conversationId,
    participantId: result.participantId,
    state: result.state,
    disconnectType: result.disconnectType,
    endedAt: result.endedAt,
    waitedMs: result.waitedMs,
    polls: result.polls,
  };
  if (result.lastError) msg.payload.lastError = result.lastError;
  if (result.timedOut) return { out: [null, msg], status: { fill: 'yellow', key: 'timedOut' } };
  return { out: [msg, null], status: { fill: 'green', key: 'ended' } };
}

export = function (RED: any) {
  function GenesysAwaitTerminalNode(this: any, config: any) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.name = config.name;
    node.genesysId = config.genesys;
    // A flow file without waitFor waits for the participant, never silently for the whole call.
    const { settings, problem } = settingsOf(parseAwaitOptions, config);
    const waitFor = settings?.waitFor;

    setupFlowNode(RED, node, TYPE, async (msg, ctx) => {
      // Validate everything before any request.
      const conversationId = await conversationIdOf(RED, node, msg, config);
      const participantId = waitFor === 'participant'
        ? optionalId(await readTyped(RED, node, msg, config.participantId, config.participantIdType, 'participantId'), 'participantId')
        : undefined;
      if (waitFor === 'participant' && !participantId) {
        throw invalidInput('participantId', 'is empty: set msg.participantId (a disconnect node sets it), or set the node to wait for the whole conversation');
      }
      // The node's value; a node left empty (or from a flow file without it) takes msg.timeout, else the default.
      const timeoutMs = awaitTimeoutMs(settings, msg.timeout);
      const { reader } = getConnection(RED, node.genesysId);

      ctx.phase('waiting');
      // Returned, not awaited: while the leg is live this msg holds only the wait and this one reaction.
      return {
        pending: awaitTerminal(reader, {
          conversationId,
          participantId,
          waitFor,
          timeoutMs,
          signal: ctx.signal,
          onProgress: ctx.reporter('waiting'),
        }),
        present,
      };
    }, problem);
  }

  RED.nodes.registerType(TYPE, GenesysAwaitTerminalNode);
};
