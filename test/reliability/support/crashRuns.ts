import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileBlobStore } from '../../../src/blobs/FileBlobStore.js';
import { SessionEngine } from '../../../src/engine/SessionEngine.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/endpoints.js';
import { createFalProvider } from '../../../src/providers/fal/index.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import { startFalTestServer } from '../../support/falTestServer.js';
import { testImage } from '../../support/images.js';
import type { CrashChildArgs } from './crashChild.js';
import { CRASH_PHASES, type CrashPhase } from './crashPhases.js';
import { randomInt, seededRandom, shuffled } from './seededRandom.js';

const CHILD = fileURLToPath(new URL('./crashChild.ts', import.meta.url));

export interface CrashRunOptions {
  runs: number;
  seed: number;
  /** Work folder (database, archive, input image). */
  dir: string;
  sessions?: number;
  turnsPerSession?: number;
}

/** What the crash runs saw, and every broken promise (empty when all held). */
export interface CrashReport {
  seed: number;
  runs: number;
  killsByPhase: Record<CrashPhase, number>;
  /** Runs whose child finished before reaching its kill point. */
  notKilled: number;
  turnsStarted: number;
  succeededBeforeKill: number;
  /** Turns in flight at the kill, carried to their end by resume. */
  turnsResumed: number;
  resumedSucceeded: number;
  failedAsAmbiguous: number;
  /** Submissions on the server that share a turn with an earlier one. */
  duplicates: number;
  submissions: number;
  /** `.tmp-*` files a killed archive write left in the blob folder (harmless, reported). */
  leftoverTempFiles: number;
  violations: string[];
}

interface Line {
  kind: string;
  rest: string[];
}

/**
 * Runs the crash experiment `runs` times on one database: a child process makes chained
 * edits on the fal test server and is SIGKILLed at a seeded-random phase of a seeded-random
 * turn (or after a random delay); then the database is reopened and checked (integrity, no
 * succeeded turn lost or changed, every blob intact), in-flight turns are resumed, and the
 * server's own submission log is checked for a second submission of any turn.
 */
export async function runCrashRuns(options: CrashRunOptions): Promise<CrashReport> {
  const random = seededRandom(options.seed);
  const sessionCount = options.sessions ?? 2;
  const turnsPerSession = options.turnsPerSession ?? 3;
  const server = await startFalTestServer({ queueMs: 30, inProgressMs: 150, logIntervalMs: 40 });
  const falOptions = { ...server.clientOptions(), pollIntervalMs: 20 };
  const dbFile = join(options.dir, 'kontext.db');
  const blobDir = join(options.dir, 'blobs');
  const image = join(options.dir, 'start.png');
  writeFileSync(image, await testImage());

  const report: CrashReport = {
    seed: options.seed,
    runs: options.runs,
    killsByPhase: Object.fromEntries(CRASH_PHASES.map((p) => [p, 0])) as Record<CrashPhase, number>,
    notKilled: 0,
    turnsStarted: 0,
    succeededBeforeKill: 0,
    turnsResumed: 0,
    resumedSucceeded: 0,
    failedAsAmbiguous: 0,
    duplicates: 0,
    submissions: 0,
    leftoverTempFiles: 0,
    violations: [],
  };
  const violation = (run: number, text: string) => report.violations.push(`run ${run}: ${text}`);
  // Phases are dealt like cards: every block of runs covers every phase, in a seeded order.
  const plan: CrashPhase[] = [];
  while (plan.length < options.runs) plan.push(...shuffled(CRASH_PHASES, random));

  /** Succeeded turns and their outputs as of the end of the previous run: none may change. */
  let kept = new Map<string, string>();
  let sessions: string[] = [];
  try {
    for (let run = 0; run < options.runs; run++) {
      const phase = plan[run]!;
      const newSessions = Math.max(0, sessionCount - sessions.length);
      const turns = (sessions.length + newSessions) * turnsPerSession;
      const args: CrashChildArgs = { dbFile, blobDir, fal: falOptions, image, sessions, newSessions, turnsPerSession, tag: `r${run}` };
      if (phase !== 'random') args.stall = { phase, occurrence: randomInt(random, 1, turns) };
      const delayMs = randomInt(random, 0, 1500);
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FAL_KEY: '' } });
      const lines: Line[] = [];
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const killed = await new Promise<boolean>((resolve) => {
        let buffered = '';
        let timer: NodeJS.Timeout | undefined;
        const guard = setTimeout(() => {
          violation(run, `the child neither reached ${phase} nor finished within 60 s`);
          child.kill('SIGKILL');
        }, 60_000);
        const kill = () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        };
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
            const [kind = '', ...rest] = buffered.slice(0, end).split(' ');
            buffered = buffered.slice(end + 1);
            lines.push({ kind, rest });
            if (kind === 'AT') kill();
            if (kind === 'READY' && phase === 'random') timer = setTimeout(kill, delayMs);
          }
        });
        child.once('exit', (_code, signal) => {
          clearTimeout(guard);
          clearTimeout(timer);
          resolve(signal === 'SIGKILL');
        });
      });
      if (killed) report.killsByPhase[phase]++;
      else report.notKilled++;
      if (!killed && !lines.some((l) => l.kind === 'EXIT')) violation(run, `the child died on its own: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      if (lines.some((l) => l.kind === 'STALL-EXPIRED')) violation(run, 'the child was not killed while it held still');
      sessions = [...new Set([...sessions, ...lines.filter((l) => l.kind === 'SESSION').map((l) => l.rest[0]!)])];

      const store = SessionStore.open(dbFile);
      const blobs = new FileBlobStore(blobDir);
      const fal = createFalProvider(falOptions);
      const engine = new SessionEngine({ store, blobs, providers: [fal], defaultEndpoint: FAL_KONTEXT_PRO });
      try {
        const client = store.sqlite;
        const integrity = client.pragma('integrity_check', { simple: true });
        if (integrity !== 'ok') violation(run, `integrity_check: ${String(integrity)}`);
        const foreignKeys = client.pragma('foreign_key_check') as unknown[];
        if (foreignKeys.length > 0) violation(run, `foreign_key_check: ${JSON.stringify(foreignKeys)}`);

        // Nothing the child saw succeed, and nothing that had succeeded before, may be lost or changed.
        for (const done of lines.filter((l) => l.kind === 'DONE' && l.rest[1] === 'succeeded')) {
          const turn = await store.findTurn(done.rest[0]!);
          if (turn?.status !== 'succeeded') violation(run, `turn ${done.rest[0]} was reported succeeded but is ${turn?.status ?? 'missing'} after the kill`);
        }
        for (const [turnId, outputs] of kept) {
          const turn = await store.findTurn(turnId);
          if (turn?.status !== 'succeeded') violation(run, `turn ${turnId}, succeeded in an earlier run, is ${turn?.status ?? 'missing'}`);
          else if (JSON.stringify(await store.outputsOf(turnId)) !== outputs) violation(run, `the outputs of turn ${turnId} changed`);
        }
        const afterKill = await allTurns(store, sessions);
        report.turnsStarted = afterKill.filter((t) => t.kind === 'edit').length;
        report.succeededBeforeKill += afterKill.filter((t) => t.status === 'succeeded' && !kept.has(t.id) && t.kind === 'edit').length;

        const inFlight = await store.inFlightTurns();
        const ambiguousBefore = new Set(inFlight.filter((t) => t.status === 'pending' && t.submitAttemptedAt !== null && t.requestId === null).map((t) => t.id));
        const { resumed } = await engine.resume();
        report.turnsResumed += inFlight.length;
        for (const t of inFlight) {
          const after = resumed.find((r) => r.id === t.id) ?? (await engine.getTurn(t.id));
          if (after.status === 'succeeded') {
            report.resumedSucceeded++;
            if (after.outputs.length === 0) violation(run, `resumed turn ${t.id} succeeded without outputs`);
          } else if (after.status === 'failed' && after.errorCode === 'AMBIGUOUS_SUBMIT' && ambiguousBefore.has(t.id)) {
            report.failedAsAmbiguous++;
          } else {
            violation(run, `in-flight turn ${t.id} (${t.status}) resumed to ${after.status} ${after.errorCode ?? ''}: ${after.errorMessage ?? ''}`);
          }
        }
        const left = await store.inFlightTurns();
        if (left.length > 0) violation(run, `${left.length} turn(s) still in flight after resume: ${left.map((t) => `${t.id} ${t.status}`).join(', ')}`);

        // The server's log is the judge of paying twice: one submission per turn (prompts are unique per turn).
        const byPrompt = new Map<string, string[]>();
        for (const s of server.submissions) {
          const prompt = String((s.body as { prompt?: unknown }).prompt);
          byPrompt.set(prompt, [...(byPrompt.get(prompt) ?? []), s.requestId]);
        }
        report.duplicates = [...byPrompt.values()].reduce((n, ids) => n + ids.length - 1, 0);
        report.submissions = server.submissions.length;
        const now = await allTurns(store, sessions);
        for (const turn of now.filter((t) => t.kind === 'edit')) {
          const sent = byPrompt.get(turn.prompt ?? '') ?? [];
          if (sent.length > 1) violation(run, `turn ${turn.id} was submitted ${sent.length} times: ${sent.join(', ')}`);
          if (turn.requestId !== null && !sent.includes(turn.requestId)) violation(run, `turn ${turn.id} records request ${turn.requestId}, which the server never accepted for it`);
          if (turn.status === 'succeeded' && turn.requestId === null && turn.originKind === null) violation(run, `turn ${turn.id} succeeded without a request id`);
        }
        for (const sessionId of sessions) {
          const session = await store.getSession(sessionId);
          const head = session.headTurnId ? await store.findTurn(session.headTurnId) : undefined;
          if (!head || head.sessionId !== sessionId) violation(run, `session ${sessionId}: HEAD ${session.headTurnId} is not one of its turns`);
          else if (head.status !== 'succeeded') violation(run, `session ${sessionId}: HEAD is on a ${head.status} turn`);
        }
        // Every image a succeeded turn points at is in the archive and still matches its hash.
        const next = new Map<string, string>();
        for (const turn of now.filter((t) => t.status === 'succeeded')) {
          const outputs = await store.outputsOf(turn.id);
          next.set(turn.id, JSON.stringify(outputs));
          if (kept.has(turn.id)) continue;
          for (const output of outputs) await blobs.get(output.blobHash).catch((error: unknown) => violation(run, `turn ${turn.id} output ${output.index}: ${(error as Error).message}`));
        }
        kept = next;
      } finally {
        await engine.close();
        await fal.close();
        store.close();
      }
    }
    report.leftoverTempFiles = countTempFiles(blobDir);
    return report;
  } finally {
    await server.close();
  }
}

async function allTurns(store: SessionStore, sessions: readonly string[]) {
  return (await Promise.all(sessions.map((id) => store.listTurns(id)))).flat();
}

/** `.tmp-*` files in the archive's root: writes a kill cut short (FileBlobStore renames complete ones away). */
function countTempFiles(blobDir: string): number {
  return existsSync(blobDir) ? readdirSync(blobDir).filter((name) => name.startsWith('.tmp-')).length : 0;
}

/** One line per figure, for the test's output. */
export function describeCrashReport(report: CrashReport): string {
  const phases = Object.entries(report.killsByPhase)
    .map(([p, n]) => `${p} ${n}`)
    .join(', ');
  return [
    `crash runs: ${report.runs} (seed ${report.seed}); killed by phase: ${phases}; finished before the kill point: ${report.notKilled}`,
    `edit turns: ${report.turnsStarted} started, ${report.succeededBeforeKill} succeeded before a kill, ${report.turnsResumed} in flight at a kill → ${report.resumedSucceeded} resumed to succeeded, ${report.failedAsAmbiguous} failed as ambiguous`,
    `server: ${report.submissions} submissions, ${report.duplicates} duplicate; leftover temp files in the archive: ${report.leftoverTempFiles}; violations: ${report.violations.length}`,
  ].join('\n');
}
