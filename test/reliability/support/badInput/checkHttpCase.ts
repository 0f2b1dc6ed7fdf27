import type { BadInputResult } from './BadInputCase.js';
import type { HttpCase } from './httpCases.js';
import type { HttpFixture } from './httpFixture.js';
import { snapshotDiff, snapshotStore } from '../storeSnapshot.js';

/**
 * Sends one HTTP case and judges it: a 4xx (never a 5xx), `{ error: { code, message } }`
 * with one of the expected codes and a message naming the field, and the store unchanged.
 */
export async function checkHttpCase(f: HttpFixture, testCase: HttpCase): Promise<BadInputResult> {
  const base = { surface: testCase.surface, group: testCase.group, name: testCase.name };
  const before = snapshotStore(f.store, f.blobDir);
  let response: Response;
  try {
    response = await testCase.send();
  } catch (error) {
    return { ...base, ok: false, problem: `crash: the request threw ${(error as Error).message}`, got: 'no response' };
  }
  const text = await response.text();
  // A 202 turn runs in the background: let it finish so a wrongly accepted edit shows in the store.
  await f.server.settleTurns(10_000);
  const changed = snapshotDiff(before, snapshotStore(f.store, f.blobDir));
  let body: { error?: { code?: unknown; message?: unknown; details?: { issues?: { field: string }[] } } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
  const message = typeof body?.error?.message === 'string' ? body.error.message : undefined;
  const got = `HTTP ${response.status} ${code ?? '?'}: ${(message ?? text).slice(0, 160)}`;
  const problems: string[] = [];
  if (changed.length > 0) problems.push(`store changed: ${changed.join(', ')}`);
  if (response.status >= 500) problems.push(`HTTP ${response.status}`);
  else if (response.status < 400) problems.push(`accepted with HTTP ${response.status}`);
  if (!code || !message) problems.push('the body is not { error: { code, message } }');
  else {
    if (!testCase.codes.includes(code)) problems.push(`code ${code}, expected ${testCase.codes.join(' or ')}`);
    const issues = body?.error?.details?.issues ?? [];
    if (!message.includes(testCase.names) && !issues.some((i) => i.field.includes(testCase.names))) problems.push(`the message does not name ${JSON.stringify(testCase.names)}`);
  }
  if ((Object.prototype as Record<string, unknown>).polluted !== undefined) problems.push('Object.prototype was polluted');
  return problems.length === 0 ? { ...base, ok: true, got } : { ...base, ok: false, problem: problems.join('; '), got };
}
