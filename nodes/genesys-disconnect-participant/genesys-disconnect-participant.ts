// The kick: removes exactly one participant from a live conversation through lib/kick.ts (resolve the
// target, guards, one PATCH {"state":"disconnected"}, optional confirm). The output carries msg.conversationId
// and msg.participantId of the leg acted on, so that await end (or a log) acts on the same leg.
import type { NodeAPI, NodeStatusFill } from 'node-red';
import {
  conversationIdFrom,
  type FlowNodeDef,
  type Msg,
  type Outcome,
  registerFlowNode,
  selectorFrom,
  type Typed,
  TypedInputs,
  type Versioned,
} from '../shared/flow-node';
import { invalidInput, KICK_DEFAULTS, type KickOptions, kickParticipant, type KickResult, optionalId, parseKickOptions } from '../../lib';
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
    work: (node, config: Versioned<DisconnectParticipantDef>, settings) => {
      const inputs = new TypedInputs(RED, node, {
        conversationId: [config.conversationId, config.conversationIdType, 'conversationId'],
        participantId: [config.participantId, config.participantIdType, 'participantId'],
        target: [config.target, config.targetType, 'target'],
        wrapupCode: [config.wrapupCode ?? '', config.wrapupCodeType || 'str', 'wrapupCode'],
        wrapupNotes: [config.wrapupNotes ?? '', config.wrapupNotesType || 'str', 'wrapupNotes'],
      });
      const conversationIdIsDefault = inputs.readsDefault('conversationId');
      let onProgress: KickOptions['onProgress']; // one per node: ctx is the node's
      const present = (msg: Msg, result: KickResult): Outcome => {
        msg.payload = result;
        msg.conversationId = result.conversationId;
        msg.participantId = result.participantId;
        return { out: msg, status: OUTCOME_STATUS[result.outcome] ?? { fill: 'green', key: 'disconnected' } };
      };

      return (msg, ctx) =>
        inputs.read(msg, (read) => {
          // Validate everything before any request.
          const conversationId = conversationIdFrom(read('conversationId'), msg, conversationIdIsDefault);
          const participantId = optionalId(read('participantId'), 'participantId');
          // The selector is only read when there is no participant id: an id names the leg exactly.
          const selector = participantId ? undefined : selectorFrom(read('target'));
          if (!participantId && !selector) {
            throw invalidInput('participantId', 'is empty and there is no target selector (msg.target, e.g. { "userId": "..." })');
          }
          const wrapupCode = optionalId(read('wrapupCode'), 'wrapupCode');
          // lib/kick validates the notes (text, length) with the rest of the kick's options.
          const wrapup = wrapupCode ? { code: wrapupCode, notes: read('wrapupNotes') as string | undefined } : undefined;
          const connection = ctx.connection();
          onProgress ??= (phase, detail) => {
            const extra = detail?.waitMs !== undefined ? `${Math.ceil(detail.waitMs / 1000)}s` : undefined;
            ctx.phase(PHASE_KEYS[phase] ?? 'working', extra);
          };
          // lib reports every phase itself, each once its request has left ('resolving' with the read, 'disconnecting'
          // with the PATCH; a fast kick goes straight to 'disconnecting').
          return kickParticipant(connection, {
            conversationId,
            participantId,
            selector,
            refuseCustomer: settings.refuseCustomer,
            keepCallAlive: settings.keepCallAlive,
            dryRun: settings.dryRun,
            confirm: settings.confirm,
            confirmTimeoutMs: settings.confirmTimeoutMs,
            wrapup,
            signal: ctx.signal,
            onProgress,
          }).then((result) => present(msg, result));
        });
    },
  });
};
