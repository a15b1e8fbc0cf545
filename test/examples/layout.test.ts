// The example flows as the editor draws them: every node (comments too) inside a 1,200 px wide canvas and not
// clipped at the left edge, no two nodes on top of each other, every wire running left to right (no wire
// doubling back behind its source), no hard-coded Node-RED port, and the demo opening on the README's first tab.
// Node-RED's x/y are a node's centre; its width is the editor's own formula (red.js: max(100, 20 *
// ceil((label width + 50 + 7) / 20))), with 8 px per character for the 14 px label font (Helvetica/Arial
// average about 7, so this errs on the wide side); a node drawn without its label (l: false) is 30 px square.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { exampleFiles, exampleFlows, readExample, type FlowNode } from '../../scripts/example-flows';
import { projectRoot } from '../../testkit/node-red';

const CANVAS_WIDTH = 1200;
const NODE_HEIGHT = 30;
const CHAR_WIDTH = 8;

/** The label the editor shows: the name, else the core node's default label. */
function label(n: FlowNode): string {
  if (typeof n.name === 'string' && n.name) return n.name;
  switch (n.type) {
    case 'http in': return `[${String(n.method)}] ${String(n.url)}`;
    case 'http response': return n.statusCode ? `http (${String(n.statusCode)})` : 'http';
    case 'catch': return Array.isArray(n.scope) ? `catch: ${n.scope.length}` : 'catch: all';
    case 'debug': return n.complete === 'true' || n.complete === true ? 'msg' : `msg.${String(n.complete || 'payload')}`;
    default: return n.type;
  }
}

function width(n: FlowNode): number {
  if (n.l === false) return NODE_HEIGHT;
  return Math.max(100, 20 * Math.ceil((label(n).length * CHAR_WIDTH + 50 + 7) / 20));
}

// The inject node's button sits left of the node, the debug node's right of it (about 25 px each).
const BUTTON = 25;
const left = (n: FlowNode) => (n.x as number) - width(n) / 2 - (n.type === 'inject' ? BUTTON : 0);
const right = (n: FlowNode) => (n.x as number) + width(n) / 2 + (n.type === 'debug' ? BUTTON : 0);
// Wires leave a node's output port (its right edge) and enter the next one's input port (its left edge).
const outPort = (n: FlowNode) => (n.x as number) + width(n) / 2;
const inPort = (n: FlowNode) => (n.x as number) - width(n) / 2;

describe('examples: laid out for the editor', () => {
  for (const file of exampleFiles(projectRoot)) {
    const name = path.basename(file, '.json');
    const nodes = readExample(file);
    const drawn = nodes.filter((n) => typeof n.x === 'number' && typeof n.y === 'number');
    const byId = new Map(nodes.map((n) => [n.id, n]));

    describe(name, () => {
      it(`every node, comments included, lies within x 0..${CANVAS_WIDTH} (not clipped at the left edge)`, () => {
        assert.ok(drawn.length > 0);
        for (const n of drawn) {
          assert.ok(left(n) >= 0, `${n.type} "${label(n)}" at x=${n.x} is ${width(n)} px wide: its left edge ${left(n)} is off the canvas`);
          assert.ok(right(n) <= CANVAS_WIDTH, `${n.type} "${label(n)}" at x=${n.x} reaches x=${right(n)}, beyond ${CANVAS_WIDTH}`);
        }
      });

      it('no two nodes overlap', () => {
        for (const a of drawn) {
          for (const b of drawn) {
            if (a === b || a.id > b.id) continue;
            const apart = right(a) <= left(b) || right(b) <= left(a) || Math.abs((a.y as number) - (b.y as number)) >= NODE_HEIGHT;
            assert.ok(apart, `"${label(a)}" and "${label(b)}" overlap`);
          }
        }
      });

      it('every wire runs left to right: a target starts to the right of its source\'s end', () => {
        for (const n of drawn) {
          for (const port of (n.wires as string[][] | undefined) ?? []) {
            for (const id of port) {
              const target = byId.get(id);
              assert.ok(target, `${n.id} wires to ${id}, which is in the file`);
              assert.ok(inPort(target) > outPort(n), `the wire "${label(n)}" (leaves at x=${outPort(n)}) -> "${label(target)}" (enters at x=${inPort(target)}) doubles back`);
            }
          }
        }
      });

      it('names no fixed Node-RED port (a comment says "this Node-RED\'s host:port" instead)', () => {
        assert.doesNotMatch(JSON.stringify(nodes), /:1880\b/);
      });
    });
  }

  it('the demo opens on the README\'s first step: the first tab is Compliance eject, not Bulk cleanup', () => {
    const tabs = exampleFlows(projectRoot, {}).filter((n) => n.type === 'tab');
    assert.equal(tabs[0].label, 'Compliance eject');
    assert.equal(tabs.length, exampleFiles(projectRoot).length);
  });
});
