import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRASH_PHASES } from './support/crashPhases.js';
import { describeCrashReport, runCrashRuns } from './support/crashRuns.js';

/** The full crash suite: 50 SIGKILLs (KONTEXT_CRASH_RUNS) at seeded-random phases (KONTEXT_CRASH_SEED). */
const runs = Number(process.env.KONTEXT_CRASH_RUNS ?? 50);
const seed = Number(process.env.KONTEXT_CRASH_SEED ?? 4242);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kontext-crash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an engine process killed at any moment (full)', () => {
  it(`loses no succeeded turn, resumes every in-flight one and never submits a turn twice (${runs} kills)`, async () => {
    const report = await runCrashRuns({ runs, seed, dir });
    console.log(describeCrashReport(report));
    expect(report.violations).toEqual([]);
    expect(report.duplicates).toBe(0);
    // Every phase was hit at least once when there are runs enough to deal them all.
    if (runs >= CRASH_PHASES.length * 2) for (const phase of CRASH_PHASES) expect(report.killsByPhase[phase], phase).toBeGreaterThan(0);
    // A kill after the submit was sent but before its answer was stored must end the turn as ambiguous.
    if (report.killsByPhase.accepted > 0) expect(report.failedAsAmbiguous).toBeGreaterThan(0);
  }, 300_000 + runs * 20_000);
});
