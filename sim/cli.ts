#!/usr/bin/env node
// genesys-cloud-sim: runs the simulator until Ctrl-C.
//   genesys-cloud-sim [--port 8089] [--host 127.0.0.1] [--scenario file.json | --empty]
//                     [--rate-limit N] [--disconnect-delay ms] [--analytics-lag ms] [--last-party stay|end-conversation] [--quiet]
import * as fs from 'node:fs';
import { start, demoScenario, DEFAULT_CLIENT, Scenario, SimOptions } from './index';

const USAGE = `Usage: genesys-cloud-sim [--port 8089] [--host 127.0.0.1] [--scenario file.json | --empty]
                         [--rate-limit N] [--disconnect-delay ms] [--analytics-lag ms] [--last-party stay|end-conversation] [--quiet]
Without --scenario, the demo conversations (sim/scenarios/demo.json) are seeded.`;

function fail(message: string): never {
  console.error(`genesys-cloud-sim: ${message}\n${USAGE}`);
  process.exit(2);
}

function parse(argv: string[]): SimOptions & { quiet: boolean } {
  const o: SimOptions & { quiet: boolean } = { port: 8089, quiet: false };
  let scenario: Scenario | undefined = demoScenario();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) fail(`${a} must be an integer >= ${min}, not ${raw}`);
      return n;
    };
    switch (a) {
      case '--port':
        o.port = int(0);
        break;
      case '--host':
        o.host = value();
        break;
      case '--rate-limit':
        o.rateLimitPerMinute = int(1);
        break;
      case '--disconnect-delay':
        o.disconnectDelayMs = int(0);
        break;
      case '--analytics-lag':
        o.analyticsLagMs = int(0);
        break;
      case '--last-party': {
        const v = value();
        if (v !== 'stay' && v !== 'end-conversation') fail('--last-party must be stay or end-conversation');
        o.lastPartyPolicy = v;
        break;
      }
      case '--scenario': {
        const file = value();
        try {
          scenario = JSON.parse(fs.readFileSync(file, 'utf8')) as Scenario;
        } catch (err) {
          fail(`cannot read the scenario ${file}: ${(err as Error).message}`);
        }
        break;
      }
      case '--empty':
        scenario = undefined;
        break;
      case '--quiet':
        o.quiet = true;
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        fail(`unknown argument ${a}`);
    }
  }
  o.scenario = scenario;
  return o;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (!o.quiet) o.log = (line) => console.log(line);
  const clients = [DEFAULT_CLIENT, ...(o.scenario?.clients ?? [])];
  let sim;
  try {
    sim = await start(o);
  } catch (err) {
    fail((err as Error).message);
  }
  const count = o.scenario?.conversations.length ?? 0;
  // These are the simulator's own made-up credentials, printed so a user can paste them into the config node.
  console.log(`Genesys Cloud simulator listening on ${sim.url}`);
  console.log(`  region: custom, apiBaseUrl and authBaseUrl: ${sim.url}`);
  console.log(`  client id: ${clients[0].clientId}   client secret: ${clients[0].clientSecret}`);
  console.log(`  ${count} conversation(s) seeded: ${(o.scenario?.conversations ?? []).map((c) => c.id ?? '(generated id)').join(', ') || 'none'}`);
  console.log(`  control API: ${sim.url}/__sim/ (conversations, faults, fail-next, transitions, requests, counters, reset)`);
  console.log('Ctrl-C stops.');
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
