import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startFalTestServer } from '../test/support/falTestServer.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { childEntry } from './lib/childEntry.js';
import { mib, ms } from './lib/stats.js';
import { tempDir } from './lib/tempDir.js';

const CHILD = new URL('./concurrentSessionsChild.ts', import.meta.url);

export interface ConcurrentSessionsOptions {
  sessions?: number;
  turns?: number;
  /** The engine's limit on provider requests in flight. Default 64. */
  maxInFlight?: number;
  /** How long each job runs on the test server. Default 20 ms. */
  inProgressMs?: number;
  /** Sockets the engine's fal client opens to the server at most. Default 0: unbounded, undici's default. */
  connections?: number;
}

interface ChildReport {
  ok: number;
  failed: number;
  other: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  ms: number;
  cpuMs: number;
  /** `code: message` of turns that did not succeed, with counts. */
  errors: Record<string, number>;
  /** Submit failures by error code chain (outer <- cause <- …). */
  submitFailures: Record<string, number>;
  /** Engine events emitted in all. */
  events: number;
}

/**
 * 1,000 sessions × 5 chained turns in one engine process, all sessions at once, on the
 * loopback fal test server (which runs here, so the child's RSS is the engine's alone). The
 * child runs the compiled JS in dist/ when it is up to date, as production does (see
 * `childEntry`); the note says which.
 */
export async function benchConcurrentSessions(options: ConcurrentSessionsOptions = {}): Promise<BenchResult[]> {
  const sessions = options.sessions ?? 1000;
  const turns = options.turns ?? 5;
  const maxInFlight = options.maxInFlight ?? 64;
  const server = await startFalTestServer({ queueMs: 0, inProgressMs: options.inProgressMs ?? 20, logIntervalMs: 1000 });
  const dir = tempDir('concurrent');
  const entry = childEntry(CHILD);
  try {
    const child = spawn(
      process.execPath,
      [...entry.args, JSON.stringify({ dbFile: join(dir.path, 'kontext.db'), blobDir: join(dir.path, 'blobs'), fal: server.clientOptions(), sessions, turns, maxInFlight, connections: options.connections ?? 0 })],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FAL_KEY: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = stdout.trim().split('\n').at(-1) ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`the engine process exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const report = JSON.parse(line) as ChildReport;
    const all = sessions * turns;
    const note = `${report.ok}/${all} succeeded, ${report.failed} failed, ${report.other} other/in flight; ${server.submissions.length} submissions; ${report.events.toLocaleString('en')} engine events; ${ms(report.ms)} in all (engine process CPU ${ms(report.cpuMs)}), maxInFlight ${maxInFlight}, fal client sockets ${options.connections ? `≤ ${options.connections}` : 'unbounded'}; engine process: ${entry.runtime}, RSS at start ${mib(report.baselineRssBytes)}, sampled every 25 ms${Object.keys(report.errors).length > 0 ? `; failures: ${JSON.stringify(report.errors)}; submit failures by cause: ${JSON.stringify(report.submitFailures)}` : ''}`;
    return [
      atMost({ id: 'concurrent-sessions.completed', name: `${sessions.toLocaleString('en')} concurrent sessions × ${turns} turns: turns not completed`, unit: 'count', measured: all - report.ok, shown: `${report.ok}/${all} completed`, note }, 0, { target: `all ${all} complete` }),
      atMost({ id: 'concurrent-sessions.peak-rss', name: `${sessions.toLocaleString('en')} concurrent sessions × ${turns} turns: peak RSS`, unit: 'MiB', measured: report.peakRssBytes / 1024 / 1024, shown: mib(report.peakRssBytes) }, 300, { strict: true }),
    ];
  } finally {
    await server.close();
    dir.remove();
  }
}
