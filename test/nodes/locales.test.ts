// Translations: every node ships the same catalog and help in each language Node-RED's core nodes ship too
// (de, ja), and the build puts them where Node-RED looks (locales/<lang>/ beside the node's .js). The
// catalogs must have exactly en-US's keys with the same __placeholders__; the help files the same sections,
// message properties, code spans, types and links, with only the prose translated.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../testkit/node-red';

const LANGS = ['de', 'ja'];
const NODES_DIR = path.join(projectRoot, 'nodes');
const NODES = fs.readdirSync(NODES_DIR).filter((d) => fs.existsSync(path.join(NODES_DIR, d, 'locales', 'en-US')));

/** The help headings as Node-RED's own de and ja core nodes name them (e.g. locales/de/common/20-inject.html). */
const HEADINGS: Record<string, Record<string, string>> = {
  de: { Inputs: 'Eingangsdaten', Outputs: 'Ausgangsdaten', Details: 'Details', Properties: 'Eigenschaften', References: 'Referenzen' },
  ja: { Inputs: '入力', Outputs: '出力', Details: '詳細', Properties: 'プロパティ', References: '参照' },
};

/** en-US code spans that are prose (node names in a flow sketch), translated with the node names. */
const PROSE_CODE = new Set(['disconnect &rarr; await end']);

function localeFile(node: string, lang: string, ext: string): string {
  return path.join(NODES_DIR, node, 'locales', lang, `${node}.${ext}`);
}

/** 'a.b.c' -> value, for every string leaf of a catalog. */
function flatten(obj: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, obj);
  }
  return out;
}

const placeholders = (s: string): string[] => (s.match(/__[A-Za-z0-9_]+?__/g) ?? []).sort();
const all = (html: string, re: RegExp): string[] => [...html.matchAll(re)].map((m) => m[1]);
const sorted = (a: string[]): string[] => [...a].sort();
/** The block structure of a help file: its block-level tags in order, each with its class. */
function skeleton(html: string): string[] {
  return [...html.matchAll(/<(\/?)(script|div|h3|h4|dl|dt|dd|ol|ul|li|p|pre|table|tr|td|th)\b([^>]*)>/g)].map((m) => {
    const cls = /class="([^"]*)"/.exec(m[3]);
    return `${m[1]}${m[2]}${cls ? `.${cls[1]}` : ''}`;
  });
}
/** The text of each p/dd/li, without its code spans and links (what must be translated). */
function prose(html: string): string[] {
  return all(html, /<(?:p|dd|li)\b[^>]*>([\s\S]*?)<\/(?:p|dd|li)>/g).map((t) =>
    t
      .replace(/<code>[\s\S]*?<\/code>/g, ' ')
      .replace(/<a\b[\s\S]*?<\/a>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

describe('translations (de, ja): every en-US catalog and help has a counterpart', () => {
  it('every node has en-US, de and ja catalogs and help files, and the build copies them beside the node', () => {
    // Every node package.json registers has its locales (so a new node cannot ship English only).
    const registered = Object.keys(JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'))['node-red'].nodes);
    assert.deepEqual(
      registered.filter((n) => !NODES.includes(n)),
      [],
      'registered nodes without locales/en-US',
    );
    for (const node of NODES) {
      for (const lang of ['en-US', ...LANGS]) {
        for (const ext of ['json', 'html']) {
          const src = localeFile(node, lang, ext);
          assert.ok(fs.existsSync(src), `missing ${path.relative(projectRoot, src)}`);
          // Node-RED reads locales/<lang>/<file> beside the .js it loads (dist/nodes/<node>/<node>.js).
          const built = path.join(projectRoot, 'dist', 'nodes', node, 'locales', lang, `${node}.${ext}`);
          assert.ok(fs.existsSync(built), `the build did not copy ${path.relative(projectRoot, built)}`);
          assert.equal(fs.readFileSync(built, 'utf8'), fs.readFileSync(src, 'utf8'), `${path.relative(projectRoot, built)} is stale`);
        }
      }
    }
  });

  for (const node of NODES) {
    const en = flatten(JSON.parse(fs.readFileSync(localeFile(node, 'en-US', 'json'), 'utf8')));
    for (const lang of LANGS) {
      it(`${node} ${lang}.json: exactly en-US's keys, every value a non-empty string with the same __placeholders__`, () => {
        const tr = flatten(JSON.parse(fs.readFileSync(localeFile(node, lang, 'json'), 'utf8')));
        assert.deepEqual(
          [...en.keys()].filter((k) => !tr.has(k)),
          [],
          'keys missing',
        );
        assert.deepEqual(
          [...tr.keys()].filter((k) => !en.has(k)),
          [],
          'keys not in en-US',
        );
        for (const [key, value] of tr) {
          assert.equal(typeof value, 'string', key);
          assert.ok((value as string).trim() !== '', `${key} is empty`);
          assert.deepEqual(placeholders(value as string), placeholders(en.get(key) as string), `${key}: placeholders`);
          // Words (not a brand, an identifier or a placeholder) are translated into Japanese.
          const words = String(en.get(key)).replace(/Genesys|Retry-After|msg\.\w+|__\w+?__/g, '');
          if (lang === 'ja' && /[A-Za-z]{3}/.test(words))
            assert.match(value as string, JAPANESE, `${key} is not translated: ${JSON.stringify(value)}`);
        }
      });
    }

    it(`${node}: every i18n key the editor uses exists in en-US`, () => {
      const editor = fs.readFileSync(path.join(NODES_DIR, node, `${node}.html`), 'utf8');
      const used = [...all(editor, /data-i18n="(?:\[[a-z]+\])?([^"]+)"/g), ...all(editor, /\._\(\s*["']([^"']+)["']/g)].filter((k) =>
        k.startsWith(`${node}.`),
      );
      assert.ok(used.length > 0);
      const known = flatten(JSON.parse(fs.readFileSync(localeFile(node, 'en-US', 'json'), 'utf8')));
      assert.deepEqual(
        used.filter((k) => !known.has(k)),
        [],
        'keys used by the editor but missing from en-US',
      );
    });

    const enHelp = fs.readFileSync(localeFile(node, 'en-US', 'html'), 'utf8');
    for (const lang of LANGS) {
      it(`${node} ${lang}.html: the same help (sections, properties, code, types, links), translated`, () => {
        const help = fs.readFileSync(localeFile(node, lang, 'html'), 'utf8');
        assert.deepEqual(all(help, /data-help-name="([^"]+)"/g), all(enHelp, /data-help-name="([^"]+)"/g), 'data-help-name');
        assert.deepEqual(skeleton(help), skeleton(enHelp), 'block structure (sections, lists, paragraphs)');
        // Section headings: Node-RED's own words for Inputs, Outputs...
        const enHeadings = all(enHelp, /<h3>([^<]*)<\/h3>/g);
        for (const h of enHeadings) assert.ok(HEADINGS[lang][h], `no ${lang} heading known for "${h}": add it to HEADINGS`);
        assert.deepEqual(
          all(help, /<h3>([^<]*)<\/h3>/g),
          enHeadings.map((h) => HEADINGS[lang][h]),
        );
        // Message properties keep their names (lower-case ones are msg properties; capitalised ones are field labels).
        const dts = (html: string) => all(html, /<dt\b[^>]*>([^<]*)</g).map((d) => d.trim());
        const enDts = dts(enHelp);
        dts(help).forEach((d, i) => {
          if (/^[a-z]/.test(enDts[i])) assert.equal(d, enDts[i], 'message property name');
        });
        assert.equal(all(help, /class="property-type">([^<]*)</g).length, all(enHelp, /class="property-type">([^<]*)</g).length, 'property types');
        // Identifiers, API paths, permissions and error codes are code spans: all of them, unchanged.
        const enCode = all(enHelp, /<code>([\s\S]*?)<\/code>/g);
        const code = all(help, /<code>([\s\S]*?)<\/code>/g);
        assert.equal(code.length, enCode.length, 'number of code spans');
        const left = [...code];
        for (const c of enCode.filter((x) => !PROSE_CODE.has(x))) {
          const at = left.indexOf(c);
          assert.ok(at >= 0, `code span <code>${c}</code> missing or changed`);
          left.splice(at, 1);
        }
        assert.deepEqual(sorted(all(help, /href="([^"]+)"/g)), sorted(all(enHelp, /href="([^"]+)"/g)), 'links');
        // The prose is translated, not copied.
        const enProse = prose(enHelp);
        prose(help).forEach((p, i) => {
          if (!/[A-Za-z]{3}/.test(enProse[i])) return;
          assert.notEqual(p, enProse[i], `not translated: ${p}`);
          if (lang === 'ja') assert.match(p, JAPANESE, `not translated: ${p}`);
        });
      });
    }
  }
});
