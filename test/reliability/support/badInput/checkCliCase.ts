import type { BadInputResult } from './BadInputCase.js';
import type { CliCase } from './cliCases.js';
import type { CliFixture } from './cliFixture.js';
import { snapshotDiff } from '../storeSnapshot.js';

/** The line the CLI prints once per process when it opens the engine: not an error line. */
const NOTICE = /^provider: /;

/**
 * Runs one CLI case and judges it: exit status 2 (or 1 where allowed), exactly one line on
 * stderr (besides the provider notice) that starts with `kontext`, names the field and
 * carries no stack trace, nothing on stdout, and the database and archive unchanged.
 */
export async function checkCliCase(f: CliFixture, testCase: CliCase): Promise<BadInputResult> {
  const base = { surface: testCase.surface, group: testCase.group, name: testCase.name };
  const before = f.snapshot();
  // Cases that bring their own global flags (--db, --session) are run as given.
  const own = testCase.args[0]?.startsWith('--') && (testCase.args[0] === '--db' || testCase.args[0] === '--session');
  const result = own ? await runRaw(f, testCase.args) : await f.run(testCase.args, { session: testCase.session ?? true });
  const changed = snapshotDiff(before, f.snapshot());
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '' && !NOTICE.test(l));
  const got = `exit ${result.code}: ${lines.join(' ⏎ ').slice(0, 200)}`;
  const problems: string[] = [];
  if (changed.length > 0) problems.push(`store changed: ${changed.join(', ')}`);
  if (result.code === null || !testCase.exits.includes(result.code)) problems.push(`exit status ${result.code}, expected ${testCase.exits.join(' or ')}`);
  if (/^\s+at .+:\d+:\d+\)?$/m.test(result.stderr)) problems.push('crash: a stack trace on stderr');
  if (lines.length !== 1) problems.push(`${lines.length} lines on stderr, expected 1`);
  const line = lines[0] ?? '';
  if (lines.length >= 1 && !line.startsWith('kontext')) problems.push('the error line does not start with "kontext"');
  if (!line.includes(testCase.names)) problems.push(`the error line does not name ${JSON.stringify(testCase.names)}`);
  if (result.stdout.trim() !== '') problems.push(`stdout is not empty: ${result.stdout.trim().slice(0, 80)}`);
  return problems.length === 0 ? { ...base, ok: true, got } : { ...base, ok: false, problem: problems.join('; '), got };
}

async function runRaw(f: CliFixture, args: readonly string[]) {
  // f.run always adds --db; a case with its own --db replaces it (commander keeps the last).
  return f.run(args, { session: false });
}
