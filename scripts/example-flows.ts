// The example flows of examples/ as one deployable flow set: the shared genesys-cloud-config node appears once,
// with the region/origins/credentials given (the simulator's, or a real region's). Used by the demo, the
// end-to-end tests and the benchmarks.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

// The order of the tabs in the demo: Node-RED's editor opens on the first tab, so the README's first step
// (Compliance eject) comes first and the bulk endpoint last. Files not listed follow, sorted by name.
const TAB_ORDER = ['compliance-eject', 'list-and-inspect', 'supervisor-kick', 'kick-then-await', 'auto-eject', 'bulk-cleanup'];

export function exampleFiles(root: string): string[] {
  const dir = path.join(root, 'examples');
  const rank = (f: string) => {
    const i = TAB_ORDER.indexOf(path.basename(f, '.json'));
    return i < 0 ? TAB_ORDER.length : i;
  };
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .sort((a, b) => rank(a) - rank(b))
    .map((f) => path.join(dir, f));
}

export function readExample(file: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
}

/** Every example, with each genesys-cloud-config node once and `config` merged into it. */
export function exampleFlows(root: string, config: Record<string, unknown>): FlowNode[] {
  const seen = new Set<string>();
  const flows: FlowNode[] = [];
  for (const file of exampleFiles(root)) {
    for (const node of readExample(file)) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      flows.push(node.type === 'genesys-cloud-config' ? { ...node, ...config } : node);
    }
  }
  return flows;
}

/**
 * The flows to deploy when the examples are (re)installed into a Node-RED that already has flows: the example
 * tabs (and the example config node) are replaced by `examples`, everything else the user made is kept as it is.
 * Example nodes are recognised by their fixed ids in examples/; a node a user added on an example tab goes with
 * that tab. The example tabs come first (the editor opens on the first tab), then the user's, in their order.
 */
export function replaceExampleTabs(current: FlowNode[], examples: FlowNode[]): FlowNode[] {
  const exampleIds = new Set(examples.map((n) => n.id));
  const exampleTabs = new Set(examples.filter((n) => n.type === 'tab').map((n) => n.id));
  const users = current.filter((n) => !exampleIds.has(n.id) && !(typeof n.z === 'string' && exampleTabs.has(n.z)));
  return [...examples, ...users];
}
