// Waits until a participant's leg (waitFor "participant", the default) or the whole conversation ("conversation")
// has ended, through lib/await-terminal.ts. Output 1: ended; output 2: timed out, with the last state seen.
import type { NodeAPI } from 'node-red';
import {
  conversationIdOf,
  type FlowNodeDef,
  type Msg,
  type Outcome,
  readTyped,
  registerFlowNode,
  type Typed,
  type Versioned,
} from '../shared/flow-node';
import { AWAIT_DEFAULTS, type AwaitResult, awaitTerminal, awaitTimeoutMs, invalidInput, optionalId, parseAwaitOptions } from '../../lib';
import { MIGRATIONS } from './migrations';

const TYPE = 'genesys-await-terminal';

/** The msg out of a finished wait: output 1 when the target ended, output 2 on the timeout. */
function present(msg: Msg, result: AwaitResult): Outcome {
  const payload: Record<string, unknown> = {
    conversationId: result.conversationId,
    participantId: result.participantId,
    state: result.state,
    disconnectType: result.disconnectType,
    endedAt: result.endedAt,
    waitedMs: result.waitedMs,
    polls: result.polls,
  };
  if (result.lastError) payload.lastError = result.lastError;
  msg.payload = payload;
  if (result.timedOut) return { out: [null, msg], status: { fill: 'yellow', key: 'timedOut' } };
  return { out: [msg, null], status: { fill: 'green', key: 'ended' } };
}

/** The await node as its flow file holds it (options: lib parseAwaitOptions). */
interface AwaitTerminalDef extends FlowNodeDef, Typed<'conversationId'>, Typed<'participantId'> {
  waitFor?: string;
  /** Seconds; blank: msg.timeout, else the default. */
  timeout?: number | string;
}

export = function (RED: NodeAPI) {
  registerFlowNode(RED, {
    type: TYPE,
    migrations: MIGRATIONS,
    // A flow file without waitFor waits for the participant, never silently for the whole call.
    parse: parseAwaitOptions,
    defaults: AWAIT_DEFAULTS,
    work: (node, config: Versioned<AwaitTerminalDef>, settings) => async (msg, ctx) => {
      const waitFor = settings.waitFor;
      // Validate everything before any request.
      const conversationId = await conversationIdOf(RED, node, msg, config);
      const participantId =
        waitFor === 'participant'
          ? optionalId(await readTyped(RED, node, msg, config.participantId, config.participantIdType, 'participantId'), 'participantId')
          : undefined;
      if (waitFor === 'participant' && !participantId) {
        throw invalidInput(
          'participantId',
          'is empty: set msg.participantId (a disconnect node sets it), or set the node to wait for the whole conversation',
        );
      }
      // The node's value; a node left empty (or from a flow file without it) takes msg.timeout, else the default.
      const timeoutMs = awaitTimeoutMs(settings, msg.timeout);
      const { reader } = ctx.connection();

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
    },
  });
};
