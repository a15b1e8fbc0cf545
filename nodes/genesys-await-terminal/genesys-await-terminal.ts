// Waits until a participant's leg (waitFor "participant", the default) or the whole conversation ("conversation")
// has ended, through lib/await-terminal.ts. Output 1: ended; output 2: timed out, with the last state seen.
import { conversationIdOf, readTyped, setupFlowNode, getConnection, type Outcome } from '../shared/flow-node';
import {
  type AwaitResult,
  awaitTerminal,
  type GenesysError,
  invalidInput,
  optionalId,
  parseTimeoutSeconds,
  WAIT_FOR,
  type WaitFor,
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
    via: result.via,
  };
  if (result.lastError) msg.payload.lastError = result.lastError;
  // Push was on but could not serve this wait: it polled, and the status says so (design 2.5a).
  if (result.pushUnavailable) msg.payload.pushUnavailable = result.pushUnavailable;
  const extra = result.pushUnavailable ? pushNote : undefined;
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

/** The status' note when push was unavailable (set from the locale once the runtime is there). */
let pushNote = '(push unavailable: polling)';

export = function (RED: any) {
  pushNote = RED._(`${TYPE}.status.pushUnavailable`);
  function GenesysAwaitTerminalNode(this: any, config: any) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.name = config.name;
    node.genesysId = config.genesys;
    // A flow file without the option waits for the participant, never silently for the whole call.
    let waitFor: WaitFor = 'participant';
    let problem: GenesysError | undefined;
    if (config.waitFor !== undefined) {
      const text = typeof config.waitFor === 'string' ? config.waitFor.trim().toLowerCase() : '';
      if ((WAIT_FOR as readonly string[]).includes(text)) waitFor = text as WaitFor;
      else problem = invalidInput('waitFor', `must be one of ${WAIT_FOR.join(', ')}, got ${JSON.stringify(String(config.waitFor).slice(0, 40))}`);
    }

    // One reporter for every msg of this node (thousands of waits share it): "waiting", or "waiting (push
    // unavailable: polling)" while push is on but cannot serve the wait.
    let progress: ((info: { pushUnavailable?: boolean }) => void) | undefined;
    const progressReporter = (ctx: { reporter(key: string): () => void }) => {
      const waiting = ctx.reporter('waiting');
      const polling = ctx.reporter('waitingPolling');
      return (info: { pushUnavailable?: boolean }) => (info.pushUnavailable ? polling() : waiting());
    };

    setupFlowNode(RED, node, TYPE, async (msg, ctx) => {
      // Validate everything before any request.
      const conversationId = await conversationIdOf(RED, node, msg, config);
      const participantId = waitFor === 'participant'
        ? optionalId(await readTyped(RED, node, msg, config.participantId, config.participantIdType, 'participantId'), 'participantId')
        : undefined;
      if (waitFor === 'participant' && !participantId) {
        throw invalidInput('participantId', 'is empty: set msg.participantId (a disconnect node sets it), or set the node to wait for the whole conversation');
      }
      // The node's value; a node left empty (or from a flow file without it) takes msg.timeout, else 30 s.
      const nodeTimeout = config.timeout;
      const rawTimeout = nodeTimeout === undefined || nodeTimeout === null || String(nodeTimeout).trim() === ''
        ? msg.timeout ?? 30
        : nodeTimeout;
      const timeoutMs = parseTimeoutSeconds(rawTimeout, 'timeout') * 1000;
      const { reader } = getConnection(RED, node.genesysId);

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
          onProgress: (progress ??= progressReporter(ctx)),
        }),
        present,
      };
    }, problem);
  }

  RED.nodes.registerType(TYPE, GenesysAwaitTerminalNode);
};
