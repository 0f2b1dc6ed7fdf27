import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_CASES } from './support/faultCases.js';
import { runFaultCase, type FaultOutcome } from './support/runFaultCase.js';

const outcomes: { name: string; outcome: FaultOutcome }[] = [];

/** The whole fault matrix. */
describe('a turn under provider faults ends succeeded or failed with a typed reason, and is never paid twice (full)', () => {
  for (const testCase of FAULT_CASES) {
    it(testCase.name, async () => {
      const outcome = await runFaultCase(testCase);
      outcomes.push({ name: testCase.name, outcome });
      expect(outcome.violations).toEqual([]);
    });
  }
  afterAll(() => {
    const lines = outcomes.map(({ name, outcome: o }) => `${o.violations.length === 0 ? 'ok ' : 'BAD'} ${name}: ${o.turn.status}${o.turn.errorCode ? ` ${o.turn.errorCode}` : ''}; submit requests ${o.submitRequests}, accepted ${o.accepted}`);
    const succeeded = outcomes.filter((o) => o.outcome.turn.status === 'succeeded').length;
    const maxAccepted = Math.max(0, ...outcomes.map((o) => o.outcome.accepted));
    console.log(`fault matrix: ${outcomes.length} cases, ${succeeded} succeeded, ${outcomes.length - succeeded} failed with a typed reason; max jobs accepted per turn: ${maxAccepted}\n${lines.join('\n')}`);
  });
});
