import { describe, expect, it } from 'vitest';
import type { BadInputResult } from './support/badInput/BadInputCase.js';
import { summarize } from './support/badInput/BadInputCase.js';
import { failures, runCliCorpus, runHttpCorpus, runLibraryCorpus } from './support/badInput/runCorpus.js';

/** The whole bad-input corpus: library, HTTP and CLI. */
describe('bad input gets a clear error and changes nothing (full)', () => {
  it('every case of every surface', async () => {
    const library = await runLibraryCorpus();
    const http = await runHttpCorpus();
    const cli = await runCliCorpus();
    const all: BadInputResult[] = [...library, ...http.results, ...(cli ?? [])];
    console.log(`${summarize(all)}${cli ? '' : '\n  cli: not built (npm run build), skipped'}\n  http: SSRF guard connections ${http.connects}, outside loopback ${http.violations}; server log lines ${http.serverLog.length}`);
    expect(all.length).toBeGreaterThanOrEqual(200);
    expect(failures(all)).toEqual([]);
    expect(http.violations).toBe(0);
    // A 500 is logged by the server; bad input must never cause one.
    expect(http.serverLog).toEqual([]);
  }, 600_000);
});
