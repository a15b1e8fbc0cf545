// The kick: removes exactly one participant from a live conversation through lib/kick.ts (resolve the
// target, guards, one PATCH {"state":"disconnected"}, optional confirm). The output carries msg.conversationId
// and msg.participantId of the leg acted on, so that await end (or a log) acts on the same leg.
import type { NodeAPI, NodeStatusFill } from 'node-red';
import { conversationIdOf, type FlowNodeDef, readTyped, registerFlowNode, selectorOf, type Typed, type Versioned } from '../shared/flow-node';
import { invalidInput, KICK_DEFAULTS, type KickOptions, kickParticipant, optionalId, parseKickOptions } from '../../lib';
import { MIGRATIONS } from './migrations';

const TYPE = 'genesys-disconnect-participant';

const PHASE_KEYS: Record<string, string> = {
  resolving: 'resolving',
  disconnecting: 'disconnecting',
  confirming: 'confirming',
  waiting: 'waiting',
};

const OUTCOME_STATUS: Record<string, { fill: NodeStatusFill; key: string }> = {
  disconnected: { fill: 'green', key: 'disconnected' },
  'already-disconnected': { fill: 'grey', key: 'alreadyDisconnected' },
  'dry-run': { fill: 'yellow', key: 'dryRun' },
};

/** The disconnect node as its flow file holds it (options: lib parseKickOptions). */
interface DisconnectParticipantDef
  extends FlowNodeDef, Typed<'conversationId'>, Typed<'participantId'>, Typed<'target'>, Typed<'wrapupCode'>, Typed<'wrapupNotes'> {
  refuseCustomer?: boolean | string;
  keepCallAlive?: boolean | string;
  dryRun?: boolean | string;
  confirm?: boolean | string;
  /** Seconds. */
  confirmTimeout?: number | string;
}

export = function (RED: NodeAPI) {
  registerFlowNode(RED, {
    type: TYPE,
    migrations: MIGRATIONS,
    // Safety options fail closed: a value that is not a boolean or "true"/"false" stops the node.
    parse: parseKickOptions,
    defaults: KICK_DEFAULTS,
    work: (node, config: Versioned<DisconnectParticipantDef>, settings) => async (msg, ctx) => {
      // Validate everything before any request.
      const conversationId = await conversationIdOf(RED, node, msg, config);
      const participantId = optionalId(
        await readTyped(RED, node, msg, config.participantId, config.participantIdType, 'participantId'),
        'participantId',
      );
      // The selector is only read when there is no participant id: an id names the leg exactly.
      const selector = participantId ? undefined : await selectorOf(RED, node, msg, config);
      if (!participantId && !selector) {
        throw invalidInput('participantId', 'is empty and there is no target selector (msg.target, e.g. { "userId": "..." })');
      }
      const wrapupCode = optionalId(
        await readTyped(RED, node, msg, config.wrapupCode ?? '', config.wrapupCodeType || 'str', 'wrapupCode'),
        'wrapupCode',
      );
      let wrapup: KickOptions['wrapup'];
      if (wrapupCode) {
        // lib/kick validates the notes (text, length) with the rest of the kick's options.
        const notes = await readTyped(RED, node, msg, config.wrapupNotes ?? '', config.wrapupNotesType || 'str', 'wrapupNotes');
        wrapup = { code: wrapupCode, notes: notes as string | undefined };
      }
      const connection = ctx.connection();

      // lib reports every phase itself ('resolving' before its read; a fast kick goes straight to 'disconnecting').
      const result = await kickParticipant(connection, {
        conversationId,
        participantId,
        selector,
        ...settings,
        wrapup,
        signal: ctx.signal,
        onProgress: (phase, detail) => {
          const extra = detail?.waitMs !== undefined ? `${Math.ceil(detail.waitMs / 1000)}s` : undefined;
          ctx.phase(PHASE_KEYS[phase] ?? 'working', extra);
        },
      });
      msg.payload = result;
      msg.conversationId = result.conversationId;
      msg.participantId = result.participantId;
      return { out: msg, status: OUTCOME_STATUS[result.outcome] ?? { fill: 'green', key: 'disconnected' } };
    },
  });
};
