import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FalFault, FalTestLog, FalTestServerOptions, FalTestTiming } from './falTestServer.js';

const MAIN = fileURLToPath(new URL('./falTestServerMain.ts', import.meta.url));

/** A FalTestServer in a child process, driven over its admin HTTP routes. */
export interface FalTestServerProcess {
  url: string;
  queueUrl: string;
  runUrl: string;
  storageUrl: string;
  key: string;
  child: ChildProcess;
  /** Options for a FalQueueClient / createFalProvider pointed at this server only. */
  clientOptions(): { queueUrl: string; runUrl: string; storageUrl: string; key: string; env: Record<string, string> };
  log(): Promise<FalTestLog>;
  pushFaults(...faults: FalFault[]): Promise<void>;
  setTiming(timing: Partial<FalTestTiming>): Promise<void>;
  job(requestId: string): Promise<{ phase: string; cancelled: boolean; endpointId: string } | undefined>;
  /** Lets a job held in the queue (timing fault with `hold`) start. */
  release(requestId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Spawns `falTestServerMain.ts` with tsx and waits for its URL line.
 *
 * @example
 * const fal = await spawnFalTestServer({ inProgressMs: 2000 });
 * // … run the engine in another child pointed at fal.clientOptions(), SIGKILL it, restart it …
 * expect((await fal.log()).submissions).toHaveLength(1);
 * await fal.stop();
 */
export async function spawnFalTestServer(options: FalTestServerOptions = {}): Promise<FalTestServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(options), '--exit-on-stdin-close'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, FAL_KEY: '', FAL_QUEUE_URL: '', FAL_RUN_URL: '', FAL_STORAGE_URL: '' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        child.stdout!.off('data', onData);
        resolve(buffered.slice(0, end));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`fal test server exited early (code ${code})`)));
    child.once('error', reject);
  });
  const info = JSON.parse(line) as { url: string; queueUrl: string; runUrl: string; storageUrl: string; key: string };
  const admin = async (path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${info.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`fal test server ${path}: HTTP ${response.status}`);
    return response.status === 204 ? undefined : response.json();
  };
  return {
    ...info,
    child,
    clientOptions: () => ({ queueUrl: info.queueUrl, runUrl: info.runUrl, storageUrl: info.storageUrl, key: info.key, env: {} }),
    log: async () => (await admin('/__log')) as FalTestLog,
    pushFaults: async (...faults) => void (await admin('/__faults', faults)),
    setTiming: async (timing) => void (await admin('/__timing', timing)),
    job: async (requestId) => (await admin(`/__jobs/${encodeURIComponent(requestId)}`)) as Awaited<ReturnType<FalTestServerProcess['job']>>,
    release: async (requestId) => void (await admin(`/__release/${encodeURIComponent(requestId)}`, {})),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
