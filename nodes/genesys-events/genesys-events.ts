// An event source (docs/architecture.md 2.5b; the workflow is lib/conversation/events.ts): no input; the topics
// chosen in the dialog, subscribed through the config node's channel manager. Output 1: one msg per event
// (msg.topic, msg.payload, and for conversations msg.conversationId and msg.participants); output 2: notices
// (subscribed, rejected, possible-gap, reconnected). Closing unsubscribes; nothing is sent after it.
import type { Node, NodeAPI, NodeMessage, NodeStatusFill } from 'node-red';
import {
  ConversationEvents,
  EVENTS_DEFAULTS,
  type EventsNotice,
  type EventsStatus,
  GenesysError,
  invalidInput,
  parseEventsOptions,
  type TopicEvent,
} from '../../lib';
import type { ConfigUser } from '../genesys-cloud-config/connection';
import { editorDefaults } from '../shared/editor-defaults';
import { configNodeOf, type FlowNodeDef } from '../shared/flow-node';
import { migrate } from '../shared/migrations';
import { MIGRATIONS } from './migrations';

const TYPE = 'genesys-events';

/** One topic row of the dialog: its kind and the id, typed (str) or from an environment variable (env). */
interface TopicRow {
  kind?: string;
  id?: string;
  idType?: string;
}

/** The events node as its flow file holds it (options: lib parseEventsOptions). */
interface EventsDef extends FlowNodeDef {
  topics?: TopicRow[];
  only?: string;
  purpose?: string;
  collapse?: boolean | string;
}

/** The rows with their ids read (an env row: the variable's value now); lib validates them. */
function resolveRows(RED: NodeAPI, node: Node, rows: unknown): unknown {
  if (!Array.isArray(rows)) return rows;
  return rows.map((row: unknown, i) => {
    if (!row || typeof row !== 'object') return row;
    const r = row as TopicRow;
    const type = r.idType === undefined || r.idType === '' ? 'str' : r.idType;
    if (type === 'str') return r;
    if (type !== 'env') throw invalidInput(`topics[${i}].idType`, `must be str or env, got ${JSON.stringify(type).slice(0, 40)}`);
    return { ...r, id: RED.util.evaluateNodeProperty(String(r.id ?? ''), 'env', node, {}) as unknown };
  });
}

function eventMsg(e: TopicEvent): NodeMessage {
  const msg: Record<string, unknown> = { topic: e.topic, payload: e.body };
  if (e.conversationId !== undefined) msg.conversationId = e.conversationId;
  if (e.participants !== undefined) msg.participants = e.participants;
  if (e.participantId !== undefined) msg.participantId = e.participantId;
  if (e.participant !== undefined) msg.participant = e.participant;
  if (e.change !== undefined) msg.change = e.change;
  if (e.firstSeen !== undefined) msg.firstSeen = e.firstSeen;
  return msg as NodeMessage;
}

export = function (RED: NodeAPI) {
  function GenesysEventsNode(this: Node, raw: EventsDef) {
    RED.nodes.createNode(this, raw);
    setUp(this, raw);
  }

  /** Subscribes the node's topics (or shows why it cannot), and unsubscribes on close. */
  function setUp(node: Node, raw: EventsDef): void {
    const texts = new Map<string, string>();
    const t = (key: string): string => {
      let text = texts.get(key);
      if (text === undefined) texts.set(key, (text = RED._(`${TYPE}.status.${key}`)));
      return text;
    };
    const showProblem = (problem: GenesysError) => node.status({ fill: 'red', shape: 'ring', text: `${t('error')}: ${problem.code}` });

    let events: ConversationEvents | undefined;
    let closed = false;
    const configNode = configNodeOf(RED, raw.genesys);
    const user: ConfigUser = { id: node.id, showConfigProblem: showProblem };

    const show = (s: EventsStatus) => {
      if (closed) return;
      const count = `${s.live}/${s.total}`;
      let fill: NodeStatusFill = 'green';
      let text = `${t('live')} ${count}`;
      if (s.rejected > 0) {
        fill = 'red';
        text = `${t('rejected')} ${s.rejected}/${s.total}: ${s.reason ?? ''}`;
      } else if (s.down > 0) {
        fill = 'yellow';
        text = `${t('reconnecting')} ${count}`;
      } else if (s.pending > 0) {
        fill = 'blue';
        text = `${t('subscribing')} ${count}`;
      }
      node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text: text.length > 120 ? `${text.slice(0, 117)}...` : text });
    };

    try {
      const { config, problem } = migrate(raw, MIGRATIONS);
      if (problem) throw problem;
      const settings = parseEventsOptions({ ...(config as unknown as Record<string, unknown>), topics: resolveRows(RED, node, config.topics) });
      if (configNode instanceof GenesysError) throw configNode;
      configNode.register(user);
      const connection = configNode.connection;
      if (connection.state !== 'ready') throw connection.error;
      events = new ConversationEvents(connection.client.notifications, settings, {
        onEvent: (e) => {
          if (!closed) node.send([eventMsg(e), null]);
        },
        onNotice: (n: EventsNotice) => {
          if (!closed) node.send([null, { topic: n.notice, payload: n } as NodeMessage]);
        },
        onStatus: show,
      });
      events.start();
    } catch (err) {
      const problem = err instanceof GenesysError ? err : new GenesysError('genesys-error', err instanceof Error ? err.message : String(err));
      node.error(problem.message);
      showProblem(problem);
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      events?.close();
      if (!(configNode instanceof GenesysError)) configNode.deregister(user);
      node.status({});
      done();
    });
  }

  RED.nodes.registerType(TYPE, GenesysEventsNode, { settings: editorDefaults(TYPE, { ...EVENTS_DEFAULTS, version: MIGRATIONS.length }) });
};
