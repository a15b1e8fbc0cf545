// Collects what each benchmark measured and writes bench/results.md: the machine, the command, every figure
// (with its baseline from the same run), and each goal as MET or MISSED with what limits it.
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface Goal {
  goal: string;
  met: boolean;
  /** The measured figure the goal is judged on. */
  measured: string;
  /** What limits the figure (and, when missed, why). */
  limit: string;
}

export interface Section {
  title: string;
  /** How it was measured (what flow, what baseline, what sim settings). */
  method: string[];
  /** Table rows: [figure, value]. */
  rows: [string, string][];
  goals: Goal[];
  notes?: string[];
}

export class Report {
  readonly sections: Section[] = [];
  readonly started = new Date();

  /** Prints a figure as soon as it is measured (the brief: print each figure as it is measured). */
  figure(section: Section, name: string, value: string): void {
    section.rows.push([name, value]);
    console.log(`  ${name}: ${value}`);
  }

  goal(section: Section, g: Goal): void {
    section.goals.push(g);
    console.log(`  GOAL ${g.met ? 'MET' : 'MISSED'}: ${g.goal} (measured ${g.measured})`);
  }

  section(title: string, method: string[]): Section {
    const s: Section = { title, method, rows: [], goals: [] };
    this.sections.push(s);
    console.log(`\n## ${title}`);
    return s;
  }

  machine(): string[] {
    const cpus = os.cpus();
    const models = [...new Set(cpus.map((c) => c.model.trim()))].join(', ');
    return [
      `- CPU: ${cpus.length} x ${models}`,
      `- Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
      `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
      `- Node: ${process.version}`,
    ];
  }

  markdown(command: string, extra: string[] = []): string {
    const out: string[] = [];
    out.push('# Benchmark results', '');
    out.push(
      `Measured ${this.started.toISOString()} with \`${command}\` (wall time of the whole run: ${((Date.now() - this.started.getTime()) / 1000).toFixed(0)} s).`,
      '',
    );
    out.push('## Machine', '', ...this.machine(), ...extra, '');
    out.push('Every ratio compares two figures measured in the same run, against the same simulator process.', '');
    out.push('## Goals', '', '| benchmark | goal | measured | result | what limits it |', '|---|---|---|---|---|');
    for (const s of this.sections) {
      for (const g of s.goals) out.push(`| ${s.title} | ${esc(g.goal)} | ${esc(g.measured)} | **${g.met ? 'MET' : 'MISSED'}** | ${esc(g.limit)} |`);
    }
    out.push('');
    for (const s of this.sections) {
      out.push(`## ${s.title}`, '');
      for (const m of s.method) out.push(`- ${m}`);
      out.push('', '| figure | value |', '|---|---|');
      for (const [k, v] of s.rows) out.push(`| ${esc(k)} | ${esc(v)} |`);
      out.push('');
      for (const n of s.notes ?? []) out.push(n, '');
    }
    return out.join('\n');
  }

  write(file: string, command: string, extra: string[] = []): void {
    fs.writeFileSync(file, this.markdown(command, extra));
  }
}

function esc(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
