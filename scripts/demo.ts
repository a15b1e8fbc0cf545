// `npm start`: the simulator seeded with demo conferences, a real Node-RED on 127.0.0.1 with this package and
// every example flow deployed, and a config node pointing at the simulator. With GENESYS_REGION,
// GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET set, the same flows run against that real Genesys Cloud region.
// Started again, it replaces only the example tabs: the tabs and nodes a user made in the demo stay, and the
// simulator comes back on the same port (SIM_PORT, default 8089), so a config node pointing at it still works.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { start as startSimulator, type SimHandle } from '../sim';
import { launchNodeRed, type NodeRedInstance } from './node-red-launcher';
import { exampleFlows, replaceExampleTabs, type FlowNode } from './example-flows';

const root = path.resolve(__dirname, '..', '..');
const DEMO_CREDENTIAL_SECRET = 'genesys-participants-demo-only'; // encrypts .demo/flows_cred.json; demo use only
/** The simulator's port unless SIM_PORT says otherwise: the address the README's simulator section uses too. */
const DEFAULT_SIM_PORT = 8089;

// Node-RED's warnings on a demo user dir's first start that are expected and harmless: the demo turns projects
// off on purpose, and the credentials file does not exist yet until the first deploy writes it (encrypted).
const EXPECTED_WARNINGS = [/Projects disabled : editorTheme\.projects\.enabled=false/, /Encrypted credentials not found/];

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number from 0 to 65535, not "${raw}"`);
  return n;
}

/** The flows the demo's Node-RED has now (its flows.json as loaded), to keep the user's own tabs. */
async function deployedFlows(url: string): Promise<FlowNode[]> {
  const res = await fetch(`${url}/flows`, { headers: { accept: 'application/json', 'Node-RED-API-Version': 'v1' } });
  if (res.status !== 200) throw new Error(`reading the deployed flows failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as FlowNode[];
}

async function main(): Promise<void> {
  const region = process.env.GENESYS_REGION;
  const useRealOrg = Boolean(region && process.env.GENESYS_CLIENT_ID && process.env.GENESYS_CLIENT_SECRET);
  let sim: SimHandle | undefined;
  let nodeRed: NodeRedInstance | undefined;

  const stop = async () => {
    console.log('\nstopping...');
    await nodeRed?.stop().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let config: Record<string, unknown>;
  if (useRealOrg) {
    // The secret stays in the environment: Node-RED substitutes ${...} in credentials at start.
    config = { region, apiBaseUrl: '', authBaseUrl: '', credentials: { clientId: '${GENESYS_CLIENT_ID}', clientSecret: '${GENESYS_CLIENT_SECRET}' } };
  } else {
    const scenario = JSON.parse(fs.readFileSync(path.join(root, 'sim', 'scenarios', 'demo.json'), 'utf8'));
    const simPort = port('SIM_PORT', DEFAULT_SIM_PORT);
    try {
      sim = await startSimulator({ port: simPort, scenario });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(
          `The simulator's port ${simPort} is in use (another npm start, or npm run sim?): stop that, or set SIM_PORT to a free port.`,
          { cause: err },
        );
      }
      throw err;
    }
    config = {
      region: 'custom',
      apiBaseUrl: sim.url,
      authBaseUrl: sim.url,
      credentials: { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
    };
  }

  nodeRed = await launchNodeRed({
    // DEMO_USER_DIR: the demo test runs in a temp dir, so it never touches a developer's .demo/.
    userDir: process.env.DEMO_USER_DIR || path.join(root, '.demo'),
    nodesDir: [root],
    port: port('PORT', 1880),
    credentialSecret: DEMO_CREDENTIAL_SECRET,
    // The auto-eject example's demo button asks the simulator's control API to add a deny-listed user to a call.
    env: sim ? { GENESYS_SIM_URL: sim.url } : undefined,
    onLog: (line) => {
      if (/\[(warn|error)\]/.test(line) && !EXPECTED_WARNINGS.some((re) => re.test(line))) console.log(`[node-red] ${line}`);
    },
  });
  await nodeRed.deploy(replaceExampleTabs(await deployedFlows(nodeRed.url), exampleFlows(root, config)));

  const demo = useRealOrg ? undefined : JSON.parse(fs.readFileSync(path.join(root, 'sim', 'scenarios', 'demo.json'), 'utf8'));
  console.log(`
Node-RED with the Genesys Cloud nodes is running: ${nodeRed.url}/
${useRealOrg ? `Target: the real Genesys Cloud region ${region}.` : `Target: the built-in simulator at ${sim!.url} (no Genesys org needed).`}

Open the editor and its Debug sidebar (the bug icon at the top right, or Ctrl-G D), then:
  1. Tab "Compliance eject": press the inject button "flag Carol (demo)". One agent leaves the demo
     conference; the others stay (see the node status and the Debug sidebar).
  2. Tab "List and inspect": press "demo conference" to see the participants before and after.
  3. Or call the supervisor-kick endpoint with curl:
     curl -s -X POST ${nodeRed.url}/kick -H 'content-type: application/json' \\
       -d '{"conversationId":"${demo?.conversations?.[0]?.id ?? '<conversation id>'}","userId":"${demo?.conversations?.[0]?.participants?.find((p: { purpose: string }) => p.purpose === 'agent')?.userId ?? '<user id>'}"}'
${
  sim
    ? `  4. Tab "Auto-eject": press "a denied user joins (demo)". The simulator adds a deny-listed user to a queue
     call; the events node sees the join and the user is ejected at once (Debug: "ejected"). The same by curl:
     curl -s -X POST ${sim.url}/__sim/conversations/c0a80001-4d2e-4f3a-9b1c-000000000001/participants \\
       -H 'content-type: application/json' -d '{"purpose":"user","userId":"de000000-0000-4000-8000-000000000666"}'
`
    : ''
}${sim ? `  The simulator's state: curl -s ${sim.url}/__sim/conversations/<id>   (reset: npm start again)\n` : ''}
Your own tabs stay when you run npm start again; the example tabs are put back as shipped.
Ctrl-C stops everything.`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
