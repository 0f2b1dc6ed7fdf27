import { expect } from 'vitest';
import { SecretScanner } from './secretScan.js';
import { removeScenario, runSecretsScenario, SECRET_HALF, SECRET_KEY } from './secretsScenario.js';

/**
 * Runs the secrets scenario and asserts the key occurs nowhere — and that the scan was real:
 * the key was sent and echoed, the scanner finds it where it is, and the error paths ran.
 */
export async function expectKeyNowhere(cliRuns: 'few' | 'all'): Promise<void> {
  const outcome = await runSecretsScenario({ cliRuns });
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
}
