// The example flows of examples/ as one deployable flow set: the shared genesys-cloud-config node appears once,
// with the region/origins/credentials given (the simulator's, or a real region's). Used by the demo, the
// end-to-end tests and the benchmarks.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export function exampleFiles(root: string): string[] {
  const dir = path.join(root, 'examples');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
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
