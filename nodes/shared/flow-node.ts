// What the four flow nodes share: registering the type (config versions, settings parsed by lib, defaults for
// the editor), registering with the config node, reading TypedInput properties ("a value set in the node wins
// over msg"), and running one msg to exactly one send or one done(err), with cancellation on close and a status
// that counts the msgs in flight. Node-RED concerns only: no HTTP here.
import { setMaxListeners } from 'node:events';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus, NodeStatusFill } from 'node-red';
import { GenesysError, invalidInput, isGenesysError, parseSelector, requireId, type TargetSelector, UUID_RE } from '../../lib';
import type { ConfigUser, GenesysConfigNode, ReadyConnection } from '../genesys-cloud-config/connection';
import { editorDefaults } from './editor-defaults';
import { migrate, type MigrationStep } from './migrations';

/** A flow node's config fields that every flow node has: its genesys-cloud-config and its schema version. */
export interface FlowNodeDef extends NodeDef {
  genesys?: string;
  version?: number;
}

/** What a TypedInput property is in a flow file: the value and its type (msg, str, env, jsonata...). */
export type Typed<K extends string> = { [P in K]?: string } & { [P in `${K}Type`]?: string };

/** A flow node of this package. */
export type FlowNode = Node;

/** A msg as the flow nodes read and write it (any property may be anything: it comes from a flow). */
export type Msg = NodeMessageInFlow;

/** What the work of one msg sends: one msg, or per output a msg, a list of msgs, or null. */
export type Sent = NodeMessage | Array<NodeMessage | NodeMessage[] | null>;

/**
 * The config node `configId` (resolved once when a flow node is built), or the reason it is not usable:
 * none selected, not deployed. Node-RED builds config nodes before the flow nodes that use them.
 */
export function configNodeOf(RED: NodeAPI, configId: unknown): GenesysConfigNode | GenesysError {
  if (typeof configId !== 'string' || configId === '') return invalidInput('genesys', 'no genesys-cloud-config node is selected');
  // The typed boundary with Node-RED's registry: getNode() returns a plain Node; ours has `connection`.
  const configNode = RED.nodes.getNode(configId) as GenesysConfigNode | null;
  if (!configNode?.connection) return invalidInput('genesys', 'the selected genesys-cloud-config node is not deployed');
  return configNode;
}

/** The config's connection when it is usable. Throws its GenesysError when not. */
function readyConnection(config: GenesysConfigNode | GenesysError): ReadyConnection {
  if (config instanceof GenesysError) throw config;
  const connection = config.connection;
  if (connection.state !== 'ready') throw connection.error;
  return connection;
}

/**
 * TypedInput types Node-RED evaluates through a callback that may come later: a flow/global context store may be
 * asynchronous, and JSONata 2 always is (util.evaluateNodeProperty). Every other type (msg, str, num, bool, json,
 * env, date, bin, re) is answered at once.
 */
const ASYNC_TYPES: ReadonlySet<string> = new Set(['flow', 'global', 'jsonata']);

/** One TypedInput property of a node, settled at deploy: what to read, and the field its errors name. */
interface TypedProperty {
  value: string;
  type: string;
  field: string;
  /** Type msg with a plain name (msg.conversationId, the default): read as msg[name], no expression to parse. */
  msgName?: string;
}

/** A msg property expression that is one plain name: Node-RED's getMessageProperty reads it as msg[name]. */
const PLAIN_NAME = /^(?:msg\.)?([A-Za-z_$][A-Za-z0-9_$]*)$/;
const NOT_PLAIN = new Set(['__proto__', 'constructor', 'prototype']);

/** A property as the flow file gives it: [value, type, field]. The field is also the msg property read by default. */
export type TypedSpec = readonly [value: unknown, type: unknown, field: string];

/**
 * A node's TypedInput properties, read per msg. Type `msg` (or no type at all, from an old flow file) reads that
 * msg property, the field's own name when the value is empty; any other type is the node's own value (str, env,
 * flow, global, json, jsonata...). An absent msg property reads as undefined.
 *
 * A node whose properties are all of types answered at once reads them without a promise (most nodes, most
 * msgs: a fast kick). A property of an async type is evaluated before `use` runs, and a failure to read it is
 * thrown only if `use` reads it, as if it were read on demand.
 */
export class TypedInputs<K extends string> {
  private readonly props: Record<K, TypedProperty>;
  private readonly asyncKeys: K[];

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
    specs: Record<K, TypedSpec>,
  ) {
    this.props = {} as Record<K, TypedProperty>;
    for (const key of Object.keys(specs) as K[]) {
      const [value, type, field] = specs[key];
      const t = typeof type === 'string' && type !== '' ? type : 'msg';
      let v = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
      if (t === 'msg' && v.trim() === '') v = field;
      const name = t === 'msg' ? PLAIN_NAME.exec(v)?.[1] : undefined;
      this.props[key] = name && !NOT_PLAIN.has(name) ? { value: v, type: t, field, msgName: name } : { value: v, type: t, field };
    }
    this.asyncKeys = (Object.keys(this.props) as K[]).filter((k) => ASYNC_TYPES.has(this.props[k].type));
  }

  /** True when `key` reads msg.<its field> (the node's default source). */
  readsDefault(key: K): boolean {
    const p = this.props[key];
    return p.type === 'msg' && p.value.trim() === p.field;
  }

  /** Runs `use` with a reader of this msg's properties: at once, or once the async ones are evaluated. */
  read<T>(msg: Msg, use: (get: (key: K) => unknown) => T): T | Promise<Awaited<T>> {
    if (this.asyncKeys.length === 0) return use((key) => this.readNow(msg, this.props[key]));
    const settled = new Map<K, { value?: unknown; error?: GenesysError }>();
    const evaluations = this.asyncKeys.map((key) =>
      this.readLater(msg, this.props[key]).then(
        (value) => void settled.set(key, { value }),
        (error: GenesysError) => void settled.set(key, { error }),
      ),
    );
    const read = (key: K) => {
      const got = settled.get(key);
      if (!got) return this.readNow(msg, this.props[key]);
      if (got.error) throw got.error;
      return got.value;
    };
    // then() flattens a promise `use` returns: the result is Awaited<T> (TypeScript cannot see that for a generic T).
    return Promise.all(evaluations).then(() => use(read)) as Promise<Awaited<T>>;
  }

  private readNow(msg: Msg, p: TypedProperty): unknown {
    // A plain string is itself, a plain msg name is msg[name] (what evaluateNodeProperty returns for them):
    // Node-RED's expression parser is a measurable share of a fast kick.
    if (p.msgName !== undefined) return msg[p.msgName];
    if (p.type === 'str') return p.value;
    try {
      return this.RED.util.evaluateNodeProperty(p.value, p.type, this.node, msg);
    } catch (err) {
      // JSON that does not parse, a bad msg property expression, an unknown type...
      throw unreadable(p, err);
    }
  }

  private readLater(msg: Msg, p: TypedProperty): Promise<unknown> {
    return new Promise((resolve, reject) => {
      try {
        this.RED.util.evaluateNodeProperty(p.value, p.type, this.node, msg, (err: unknown, result: unknown) => {
          if (err) reject(unreadable(p, err));
          else resolve(result);
        });
      } catch (err) {
        reject(unreadable(p, err));
      }
    });
  }
}

function unreadable(p: TypedProperty, err: unknown): GenesysError {
  return invalidInput(p.field, `could not be read (${p.type}): ${errorText(err)}`);
}

/**
 * The conversation id read from the node's conversationId property. When it is missing and the property is the
 * default msg.conversationId, an id in msg.payload gets its own hint.
 */
export function conversationIdFrom(value: unknown, msg: Msg, readsDefault: boolean): string {
  const missing = value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  // The inject node's default puts what the user typed in msg.payload: an id there is almost surely meant.
  if (missing && readsDefault && typeof msg.payload === 'string' && UUID_RE.test(msg.payload.trim())) {
    throw invalidInput(
      'conversationId',
      `msg.conversationId is not set, but msg.payload holds the id ${msg.payload.trim()}: set msg.conversationId (for example in the inject node) instead of msg.payload`,
    );
  }
  return requireId(value, 'conversationId');
}

/** The selector read from the node's target property: blank text (a node's empty str/env target) means none. */
export function selectorFrom(value: unknown): TargetSelector | undefined {
  if (typeof value === 'string' && value.trim() === '') return undefined;
  return parseSelector(value, 'target');
}

/**
 * The text of any error, cut to 300 characters. JSONata throws plain objects `{code, message, position,
 * token}` (not Error instances): keep their message and say where ("[object Object]" helps nobody).
 */
function errorText(err: unknown): string {
  let text: string;
  if (err instanceof Error) text = err.message;
  else if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { message: string; code?: unknown; position?: unknown };
    const where = typeof e.position === 'number' ? ` at position ${e.position}` : '';
    text = `${e.message}${typeof e.code === 'string' ? ` (${e.code}${where})` : where}`;
  } else if (err && typeof err === 'object') {
    try {
      text = JSON.stringify(err);
    } catch {
      text = String(err);
    }
  } else text = String(err);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/**
 * A node's settings from its flow file, parsed by the lib workflow that owns them (parseXxOptions). A bad value
 * is a configuration error: `problem` holds it, setupFlowNode fails every msg with it before any request (a
 * safety option is never read as "off" by accident), and `settings` is then never read.
 */
function settingsOf<T>(parse: (raw: Record<string, unknown>) => T, config: object): { settings: T; problem?: GenesysError } {
  try {
    return { settings: parse(config as Record<string, unknown>) };
  } catch (err) {
    return { settings: undefined as T, problem: toGenesysError(err, false) };
  }
}

/** Any failure as a GenesysError (a foreign error becomes 'genesys-error'; an abort becomes 'cancelled'). */
function toGenesysError(err: unknown, aborted: boolean, closedReason?: GenesysError): GenesysError {
  if (isGenesysError(err)) return err;
  if (aborted) return closedReason ?? new GenesysError('cancelled', 'cancelled: the node was closed or redeployed', { cause: err });
  return new GenesysError('genesys-error', errorText(err), { cause: err });
}

export interface RunContext {
  signal: AbortSignal;
  /** Shows a short phase (an i18n key under `<type>.status.`), with the count of msgs in flight. */
  phase(key: string, extra?: string): void;
  /** () => phase(key), made once per key and node (thousands of waits share one). */
  reporter(key: string): () => void;
  /** The config node's client, reader and ledger; throws the reason when the config is not usable. */
  connection(): ReadyConnection;
}

/** What to send (`null`: nothing) and the final status (an i18n key under `<type>.status.`). */
export interface Outcome {
  out: Sent | null;
  status: { fill: NodeStatusFill; key: string; extra?: string };
}

/**
 * A long wait (an await of minutes, 50,000 at once): `pending` is lib's own promise and `present` makes the
 * outcome from its result. The node holds only that promise and one reaction per msg while it waits, not a
 * promise per layer that maps the result.
 */
export interface Deferred<R> {
  pending: Promise<R>;
  present(msg: Msg, result: R): Outcome;
}

/**
 * The node's config at the current version (nodes/<node>/migrations.ts steps applied to an older flow file),
 * and its settings parsed by the lib workflow that owns them. `problem`: the config is unusable (a bad option,
 * a version from the future): setupFlowNode then fails every msg with it.
 */
function nodeConfig<D extends object, S>(
  raw: D,
  steps: readonly MigrationStep[],
  parse: (raw: Record<string, unknown>) => S,
): { config: D & { version: number }; settings: S; problem?: GenesysError } {
  const { config, problem } = migrate(raw, steps);
  const parsed = settingsOf(parse, config);
  return { config, settings: parsed.settings, problem: problem ?? parsed.problem };
}

/**
 * Wires on('input') and on('close') for a flow node and registers it with its config node. `work` does the
 * lib call and returns what to send (`null` sends nothing) and the final status. Only payload/conversation/
 * error of the incoming msg change. `configProblem`: the node's own configuration is unusable (e.g. a bad
 * option in the flow file): the status says so and every msg fails with it, before any request.
 */
function setupFlowNode<R>(
  RED: NodeAPI,
  node: FlowNode,
  type: string,
  config: FlowNodeDef,
  work: (msg: Msg, ctx: RunContext) => Promise<Outcome | Deferred<R>>,
  configProblem?: GenesysError,
): void {
  // One signal for every msg of this node: close aborts it with one reason, so a redeploy of 50,000 waits
  // builds one error (lib passes the reason on) and lib's await scheduler listens to it once, not per msg.
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // many msgs in flight at once is normal, not a leak
  const closedReason = new GenesysError('cancelled', 'cancelled: the node was closed or redeployed');
  let inFlight = 0;
  let idle: (() => void) | undefined; // set by close: called when the last msg has ended
  // Status texts looked up once per key: the runtime's language does not change while it runs, and a catalog
  // lookup on every phase of every msg is a measurable share of a fast kick.
  const texts = new Map<string, string>();
  const t = (key: string): string => {
    let text = texts.get(key);
    if (text === undefined) texts.set(key, (text = RED._(`${type}.status.${key}`)));
    return text;
  };

  // Every poll of every wait reports its phase: a phase reaches the editor only when its text changes
  // (thousands of waits would otherwise mean thousands of identical updates a second). Final statuses
  // (outcome, error) are always sent.
  let shownPhase = '';
  // A msg's status is painted at the end of the turn of the event loop it was asked in, the last one asked
  // for: a request and an output never wait for it (node.status emits a runtime event that is published to
  // every open editor: a measurable share of a fast kick, bench 1), and a burst of msgs paints once.
  let pending: NodeStatus | undefined;
  const paint = () => {
    const status = pending;
    pending = undefined;
    if (status) node.status(status);
  };
  const show = (status: NodeStatus) => {
    if (pending === undefined) setImmediate(paint);
    pending = status;
  };
  /** Outside of a msg (the node's own problem, close): painted at once, over any status still to paint. */
  const showNow = (status: NodeStatus) => {
    pending = undefined;
    shownPhase = '';
    node.status(status);
  };
  const setStatus = (status: NodeStatus) => {
    shownPhase = '';
    show(status);
  };
  const showPhase = (key: string, extra?: string) => {
    const base = `${t(key)}${extra ? ` ${extra}` : ''}`;
    const text = inFlight > 1 ? `${base} (${inFlight})` : base;
    if (text === shownPhase) return;
    show({ fill: 'blue', shape: 'dot', text });
    shownPhase = text;
  };

  const showProblem = (problem: GenesysError) => showNow({ fill: 'red', shape: 'ring', text: `${t('error')}: ${problem.code}` });
  const configNode = configNodeOf(RED, config.genesys);
  // The config node tells its users when it is unusable (MQTT's broker node does the same); the node's own
  // problem comes first.
  const user: ConfigUser = { id: node.id, showConfigProblem: (problem) => configProblem || showProblem(problem) };
  if (configProblem) {
    node.error(configProblem.message);
    showProblem(configProblem);
  } else if (configNode instanceof GenesysError) showProblem(configNode);
  if (!(configNode instanceof GenesysError)) configNode.register(user);

  const phaseReporters = new Map<string, () => void>();
  const ctx: RunContext = {
    signal: controller.signal,
    phase: showPhase,
    connection: () => readyConnection(configNode),
    reporter: (key) => {
      let fn = phaseReporters.get(key);
      if (!fn) phaseReporters.set(key, (fn = () => showPhase(key)));
      return fn;
    },
  };

  // A plain promise chain, not an async function: a msg waiting (an await of 10 minutes, 50,000 of them) then
  // holds one reaction, not suspended frames. Every path ends in send+done() or done(err).
  node.on('input', (msg, send, done) => {
    inFlight++;
    let outcome: ReturnType<typeof work>;
    try {
      outcome = configProblem ? Promise.reject(configProblem) : work(msg, ctx);
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (result) => {
        if (!('pending' in result)) return succeeded(msg, send, done, result);
        result.pending.then(
          (value) => {
            let presented: Outcome;
            try {
              presented = result.present(msg, value);
            } catch (err) {
              return failed(msg, done, err);
            }
            succeeded(msg, send, done, presented);
          },
          (err: unknown) => failed(msg, done, err),
        );
      },
      (err: unknown) => failed(msg, done, err),
    );
  });

  function ended(): void {
    if (--inFlight === 0 && idle) idle();
  }

  // The msg goes first, then its final status (painted after Node-RED has passed the msg on), then the count:
  // a close waiting for the last msg then paints last.
  function failed(msg: Msg, done: (err?: Error) => void, err: unknown): void {
    const gerr = toGenesysError(err, controller.signal.aborted, closedReason);
    msg.error = gerr.toMsgError();
    done(gerr);
    if (gerr.code !== 'cancelled') {
      if (inFlight > 1) showPhase('working');
      else setStatus({ fill: 'red', shape: 'ring', text: `${t('error')}: ${gerr.code}` });
    }
    ended();
  }

  function succeeded(msg: Msg, send: (m: Sent) => void, done: (err?: Error) => void, result: Outcome): void {
    try {
      if (result.out !== null) send(result.out);
      done();
    } catch (err) {
      done(toGenesysError(err, false));
    }
    const status = result.status;
    if (inFlight > 1) showPhase('working');
    else setStatus({ fill: status.fill, shape: 'dot', text: `${t(status.key)}${status.extra ? ` ${status.extra}` : ''}` });
    ended();
  }

  node.on('close', (_removed: boolean, done: () => void) => {
    if (!(configNode instanceof GenesysError)) configNode.deregister(user);
    // Abort every msg in flight: each ends with done(err) code 'cancelled' (lib clears its own timers),
    // and the node reports closed only once they all have.
    controller.abort(closedReason);
    const closed = () => {
      showNow({});
      done();
    };
    if (inFlight === 0) closed();
    else idle = closed;
  });
}

/** A node's config brought to the current version. */
export type Versioned<D> = D & { version: number };

/** What makes a flow node type of this package. */
export interface FlowNodeSpec<D extends FlowNodeDef, S, R> {
  type: string;
  /** nodes/<node>/migrations.ts: the config's versions. */
  migrations: readonly MigrationStep[];
  /** The lib workflow's parseXxOptions: the node's settings from its flow file. */
  parse: (raw: Record<string, unknown>) => S;
  /** The lib workflow's XX_DEFAULTS, handed to the editor (with the current version). */
  defaults: Record<string, unknown>;
  /** The work of one msg for the node being built, its config (migrated) and its settings. */
  work: (node: FlowNode, config: Versioned<D>, settings: S) => (msg: Msg, ctx: RunContext) => Promise<Outcome | Deferred<R>>;
}

/**
 * Registers a flow node type: each node is made from the flow file's own object (Node-RED keeps hidden fields
 * on it), its config brought to the current version and its settings parsed once; the defaults go to the editor.
 */
export function registerFlowNode<D extends FlowNodeDef, S, R>(RED: NodeAPI, spec: FlowNodeSpec<D, S, R>): void {
  function GenesysFlowNode(this: FlowNode, raw: D) {
    RED.nodes.createNode(this, raw);
    const { config, settings, problem } = nodeConfig(raw, spec.migrations, spec.parse);
    // A node whose settings did not parse never builds its work: every msg fails with the problem.
    const work = problem ? () => Promise.reject(problem) : spec.work(this, config, settings);
    setupFlowNode(RED, this, spec.type, config, work, problem);
  }
  RED.nodes.registerType(spec.type, GenesysFlowNode, { settings: editorDefaults(spec.type, { ...spec.defaults, version: spec.migrations.length }) });
}
