// Waits until a participant's leg (waitFor "participant", the default) or the whole conversation ("conversation")
// has ended, through lib/await-terminal.ts. Output 1: ended; output 2: timed out, with the last state seen.
import type { NodeAPI } from 'node-red';
import {
  conversationIdFrom,
  type FlowNodeDef,
  type Msg,
  type Outcome,
  TypedInputs,
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
    via: result.via,
  };
  if (result.lastError) payload.lastError = result.lastError;
  // Push was on but could not serve this wait: it polled, and the status says so (docs/architecture.md 2.5a).
  if (result.pushUnavailable) payload.pushUnavailable = result.pushUnavailable;
  msg.payload = payload;
  const extra = result.pushUnavailable ? (pushNote ?? '(push unavailable: polling)') : undefined;
  if (result.timedOut) return { out: [null, msg], status: { fill: 'yellow', key: 'timedOut', extra } };
  return { out: [msg, null], status: { fill: 'green', key: 'ended', extra } };
}

/**
 * What the msg says about the leg (purpose, userId), when it describes the same participant: a disconnect's
 * output (payload.participant) or a list's one-msg-per-participant output (payload). It picks the one push topic
 * that fits the leg; without it the wait subscribes both of the conversation's.
 */
function legOf(msg: unknown, participantId: string | undefined): { purpose?: string; userId?: string } | undefined {
  const p = (msg as { payload?: unknown } | null | undefined)?.payload;
  if (!participantId || !p || typeof p !== 'object') return undefined;
  const payload = p as { id?: unknown; participantId?: unknown; participant?: unknown };
  const same = (id: unknown) => typeof id === 'string' && id.toLowerCase() === participantId.toLowerCase();
  const leg = same(payload.id) ? payload : same(payload.participantId) ? payload.participant : undefined;
  if (!leg || typeof leg !== 'object') return undefined;
  const { purpose, userId } = leg as { purpose?: unknown; userId?: unknown };
  const out: { purpose?: string; userId?: string } = {};
  if (typeof purpose === 'string') out.purpose = purpose;
  if (typeof userId === 'string') out.userId = userId;
  return out.purpose !== undefined || out.userId !== undefined ? out : undefined;
}

/** The status' note when push was unavailable (from the locale, read with the first msg). */
let pushNote: string | undefined;

type Progress = (info: { pushUnavailable?: boolean }) => void;
const progressOfNode = new WeakMap<object, Progress>();

/**
 * One progress reporter per node (thousands of waits share it): "waiting", or "waiting (push unavailable:
 * polling)" while push is on but cannot serve the wait.
 */
function progressOf(node: object, ctx: { reporter(key: string): () => void }): Progress {
  let fn = progressOfNode.get(node);
  if (!fn) {
    const waiting = ctx.reporter('waiting');
    const polling = ctx.reporter('waitingPolling');
    fn = (info) => (info.pushUnavailable ? polling() : waiting());
    progressOfNode.set(node, fn);
  }
  return fn;
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
    work: (node, config: Versioned<AwaitTerminalDef>, settings) => {
      const inputs = new TypedInputs(RED, node, {
        conversationId: [config.conversationId, config.conversationIdType, 'conversationId'],
        participantId: [config.participantId, config.participantIdType, 'participantId'],
      });
      const conversationIdIsDefault = inputs.readsDefault('conversationId');
      return async (msg, ctx) => {
        const waitFor = settings.waitFor;
        // Validate everything before any request.
        const { conversationId, participantId } = await inputs.read(msg, (read) => ({
          conversationId: conversationIdFrom(read('conversationId'), msg, conversationIdIsDefault),
          participantId: waitFor === 'participant' ? optionalId(read('participantId'), 'participantId') : undefined,
        }));
        if (waitFor === 'participant' && !participantId) {
          throw invalidInput(
            'participantId',
            'is empty: set msg.participantId (a disconnect node sets it), or set the node to wait for the whole conversation',
          );
        }
        // The node's value; a node left empty (or from a flow file without it) takes msg.timeout, else the default.
        const timeoutMs = awaitTimeoutMs(settings, msg.timeout);
        pushNote ??= RED._(`${TYPE}.status.pushUnavailable`);
        const { reader } = ctx.connection();

        ctx.phase('waiting');
        // Returned, not awaited: while the leg is live this msg holds only the wait and this one reaction.
        return {
          pending: awaitTerminal(reader, {
            conversationId,
            participantId,
            waitFor,
            timeoutMs,
            leg: legOf(msg, participantId),
            signal: ctx.signal,
            onProgress: progressOf(node, ctx),
          }),
          present,
        };
      };
    },
  });
};
