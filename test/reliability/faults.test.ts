import { describe, expect, it } from 'vitest';
import { FAULT_CASES } from './support/faultCases.js';
import { runFaultCase } from './support/runFaultCase.js';

/** The fast subset of the fault matrix (all of it: faults.full.ts). */
describe('a turn under provider faults ends succeeded or failed with a typed reason, and is never paid twice', () => {
  for (const testCase of FAULT_CASES.filter((c) => c.fast)) {
    it(testCase.name, async () => {
      const outcome = await runFaultCase(testCase);
      expect(outcome.violations).toEqual([]);
    });
  }
});
