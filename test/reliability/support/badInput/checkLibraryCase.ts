import { inspect } from 'node:util';
import { isKontextError } from '../../../../src/errors/KontextError.js';
import type { BadInputResult } from './BadInputCase.js';
import type { LibraryCase } from './libraryCases.js';
import { snapshotDiff, snapshotStore } from '../storeSnapshot.js';
import type { LibraryFixture } from './libraryFixture.js';

/**
 * Runs one library case and judges it: the call must throw a KontextError with one of the
 * expected codes whose message names the field (for a ValidationError, also one of its
 * issues' fields), and the store — every table and the blob folder — must be unchanged.
 * A call that resolves, or throws anything that is not a KontextError, is a failure.
 */
export async function checkLibraryCase(f: LibraryFixture, testCase: LibraryCase): Promise<BadInputResult> {
  const before = snapshotStore(f.store, f.blobDir);
  const base = { surface: testCase.surface, group: testCase.group, name: testCase.name };
  let error: unknown;
  let resolved = false;
  try {
    await testCase.run();
    resolved = true;
  } catch (caught) {
    error = caught;
  }
  const after = snapshotStore(f.store, f.blobDir);
  const changed = snapshotDiff(before, after);
  const protoPolluted = (Object.prototype as Record<string, unknown>).polluted !== undefined;
  if (resolved) return { ...base, ok: false, problem: `accepted: the call resolved${changed.length ? ` and changed ${changed.join(', ')}` : ''}`, got: 'no error' };
  if (!isKontextError(error)) {
    return { ...base, ok: false, problem: `crash: threw ${error instanceof Error ? error.name : typeof error}, not a KontextError`, got: inspect(error, { depth: 0 }).split('\n')[0]!.slice(0, 200) };
  }
  const got = `${error.code}: ${error.message.split('\n')[0]!.slice(0, 200)}`;
  const problems: string[] = [];
  if (!testCase.codes.includes(error.code)) problems.push(`code ${error.code}, expected ${testCase.codes.join(' or ')}`);
  const issues = (error.details?.issues as { field: string }[] | undefined) ?? [];
  const named = error.message.includes(testCase.names) || issues.some((i) => i.field.includes(testCase.names));
  if (!named) problems.push(`the message does not name ${JSON.stringify(testCase.names)}`);
  if (error.code === 'VALIDATION' && issues.length === 0) problems.push('a ValidationError without issues');
  if (error.message.includes('\n')) problems.push('a multi-line message');
  if (changed.length > 0) problems.unshift(`store changed: ${changed.join(', ')}`);
  if (protoPolluted) problems.unshift('Object.prototype was polluted');
  return problems.length === 0 ? { ...base, ok: true, got } : { ...base, ok: false, problem: problems.join('; '), got };
}
