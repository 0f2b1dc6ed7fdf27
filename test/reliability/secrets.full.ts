import { describe, expect, it } from 'vitest';
import { SecretScanner } from './support/secretScan.js';
import { removeScenario, runSecretsScenario, SECRET_HALF, SECRET_KEY } from './support/secretsScenario.js';

/**
 * The fal key never leaves the process: not into the database or its WAL, the archive, an
 * export, an engine event, an error (message, JSON, inspect, causes), an HTTP answer, the
 * server log, or the output of `kontext` — even when servers echo it back in error bodies.
 * (Full: thirteen CLI runs.)
 */
describe(`the fal key (${SECRET_KEY.slice(0, 10)}…)`, () => {
  it('occurs nowhere after a session full of failures (full)', async () => {
    const outcome = await runSecretsScenario({ cliRuns: 'all' });
    try {
      const { scanner } = outcome;
      console.log(
        `secrets: ${outcome.keyedRequests} requests carried the key, ${outcome.echoes} fault answers echoed it; scanned ${scanner.sourceCount} sources (${(scanner.byteCount / 1024).toFixed(0)} KiB: ${outcome.filesScanned} files, ${outcome.httpResponses} HTTP answers, ${outcome.cliRuns} CLI runs${outcome.cli ? '' : ' — CLI not built'}); turns ${JSON.stringify(outcome.turnsByStatus)}; error codes ${[...new Set(outcome.errorCodes)].join(', ')}; hits ${scanner.hits().length}`,
      );
      expect(scanner.hits()).toEqual([]);
      // The key was in use (sent to fal, echoed back by the faults), and the scanner does find it where it is.
      expect(outcome.keyedRequests).toBeGreaterThan(20);
      expect(outcome.echoes).toBeGreaterThan(5);
      const control = new SecretScanner([SECRET_KEY, SECRET_HALF]);
      control.addText('control', `Authorization: Key ${SECRET_KEY}`);
      expect(control.hits().map((h) => h.needle)).toEqual([SECRET_KEY, SECRET_HALF]);
      // The scenario really failed in the ways it meant to (so the scan saw error paths).
      expect(outcome.errorCodes).toEqual(expect.arrayContaining(['PROVIDER', 'AUTH', 'AMBIGUOUS_SUBMIT', 'RATE_LIMITED']));
    } finally {
      removeScenario(outcome);
    }
  }, 180_000);
});
