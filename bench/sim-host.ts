// Runs the simulator (sim/) in a child process, so that its CPU and memory do not count in the figures of
// the process under test (Node-RED + our nodes), and so both sides get a core of their own, as with a real
// Genesys org. The parent drives it through the simulator's HTTP control API (SimControl), like any test.
import { fork, type ChildProcess } from 'node:child_process';
import { SimControl, type SimOptions } from '../sim';

export interface HostedSim {
  url: string;
  control: SimControl;
  pid: number;
  close(): Promise<void>;
}

/** Starts the simulator in a child process with these options (JSON values only). */
export function forkSim(options: Omit<SimOptions, 'log'> = {}): Promise<HostedSim> {
  const child: ChildProcess = fork(__filename, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the simulator process exited early (${code})`));
    child.once('exit', onExit);
    child.once('message', (m: { url?: string; error?: string }) => {
      child.off('exit', onExit);
      if (!m.url) {
        child.kill();
        reject(new Error(`the simulator did not start: ${m.error}`));
        return;
      }
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      resolve({
        url: m.url,
        control: new SimControl(m.url),
        pid: child.pid!,
        close: async () => {
          if (child.exitCode === null) child.send('close');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

// The child side.
if (require.main === module && process.send) {
  void (async () => {
    const { start } = await import('../sim');
    try {
      const sim = await start(JSON.parse(process.argv[2] ?? '{}'));
      process.on('message', (m) => {
        if (m === 'close') void sim.close().then(() => process.exit(0));
      });
      process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
      process.send!({ url: sim.url });
    } catch (err) {
      process.send!({ error: String(err) });
      process.exit(1);
    }
  })();
}
