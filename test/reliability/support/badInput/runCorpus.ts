import type { BadInputResult } from './BadInputCase.js';
import { checkCliCase } from './checkCliCase.js';
import { checkHttpCase } from './checkHttpCase.js';
import { checkLibraryCase } from './checkLibraryCase.js';
import { cliCases } from './cliCases.js';
import { cliBuilt, cliFixture } from './cliFixture.js';
import { httpCases } from './httpCases.js';
import { httpFixture } from './httpFixture.js';
import { libraryCases } from './libraryCases.js';
import { libraryFixture } from './libraryFixture.js';

/** Which cases of a surface to run: all, or every n-th (the fast subset). */
export interface CorpusSelection {
  every?: number;
}

const pick = <T>(cases: readonly T[], { every = 1 }: CorpusSelection): T[] => cases.filter((_, i) => i % every === 0);

export async function runLibraryCorpus(selection: CorpusSelection = {}): Promise<BadInputResult[]> {
  const f = await libraryFixture();
  try {
    const results: BadInputResult[] = [];
    for (const testCase of pick(await libraryCases(f), selection)) results.push(await checkLibraryCase(f, testCase));
    return results;
  } finally {
    await f.close();
  }
}

export async function runHttpCorpus(selection: CorpusSelection = {}): Promise<{ results: BadInputResult[]; violations: number; connects: number; serverLog: string[] }> {
  const f = await httpFixture();
  try {
    const results: BadInputResult[] = [];
    for (const testCase of pick(await httpCases(f), selection)) results.push(await checkHttpCase(f, testCase));
    return { results, violations: f.violations.length, connects: f.connects.length, serverLog: f.logs };
  } finally {
    await f.close();
  }
}

/** Undefined when the CLI is not built (`npm test` builds it; `npx tsc -p .` does too). */
export async function runCliCorpus(selection: CorpusSelection = {}): Promise<BadInputResult[] | undefined> {
  if (!cliBuilt()) return undefined;
  const f = await cliFixture();
  try {
    const results: BadInputResult[] = [];
    for (const testCase of pick(cliCases(f), selection)) results.push(await checkCliCase(f, testCase));
    return results;
  } finally {
    f.close();
  }
}

/** The cases that failed, one line each, for an assertion message. */
export function failures(results: readonly BadInputResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => `${r.surface}/${r.group}: ${r.name}: ${r.problem} [${r.got}]`);
}
