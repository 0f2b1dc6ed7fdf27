import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeCrashReport, runCrashRuns } from './support/crashRuns.js';

/**
 * The fast subset of the crash suite (the full one is crash.full.ts): a few SIGKILLs of an
 * engine process at seeded-random phases of its turns.
 */
const runs = Number(process.env.KONTEXT_CRASH_RUNS ?? 5);
const seed = Number(process.env.KONTEXT_CRASH_SEED ?? 4242);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kontext-crash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an engine process killed at any moment', () => {
  it(`loses no succeeded turn, resumes every in-flight one and never submits a turn twice (${runs} kills)`, async () => {
    const report = await runCrashRuns({ runs, seed, dir });
    console.log(describeCrashReport(report));
    expect(report.violations).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.runs - report.notKilled).toBeGreaterThan(0);
  }, 120_000 + runs * 20_000);
});
