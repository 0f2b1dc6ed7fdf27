import type { BadInputCase } from './BadInputCase.js';
import type { CliFixture } from './cliFixture.js';

export interface CliCase extends BadInputCase {
  args: readonly string[];
  /** Exit statuses that count as a clear refusal (2: usage, 1: the operation failed). */
  exits: readonly number[];
  /** Pass `--session` (default true). */
  session?: boolean;
}

const USAGE = [2] as const;
const EITHER = [1, 2] as const;

/**
 * The command-line part of the bad-input corpus: out-of-range and wrong-type flags, unknown
 * flags and commands, empty and huge prompts, broken and non-image files, bad ids, path
 * traversal in names, malformed bundles. `codes` is unused here: the CLI's contract is its
 * exit status and one line on stderr.
 */
export function cliCases(f: CliFixture): CliCase[] {
  const cases: CliCase[] = [];
  const add = (group: string, name: string, args: readonly string[], exits: readonly number[], names: string, extra: Partial<CliCase> = {}) =>
    cases.push({ surface: 'cli', group, name, args, exits, names, codes: [], ...extra });

  // ---- flags of edit
  const flags: [string, string, string][] = [
    ['--seed', '-1', 'seed'],
    ['--seed', '1.5', 'seed'],
    ['--seed', 'abc', 'seed'],
    ['--seed', '99999999999', 'seed'],
    ['--guidance', '25', 'guidance'],
    ['--guidance', '0', 'guidance'],
    ['--guidance', 'lots', 'guidance'],
    ['--num-images', '0', 'num'],
    ['--num-images', '9', 'num'],
    ['--format', 'gif', 'format'],
    ['--aspect', '1:3', 'aspect'],
    ['--safety', '7', 'safety'],
    ['--candidate', '9', 'candidate'],
    ['--candidate', 'x', 'candidate'],
    ['--endpoint', 'nope/nope', 'endpoint'],
  ];
  for (const [flag, value, names] of flags) add('flags', `edit ${flag} ${value}`, ['edit', 'make it red', `${flag}=${value}`], USAGE, names);
  add('flags', 'edit with an unknown flag', ['edit', 'make it red', '--bogus'], USAGE, '--bogus');
  add('flags', 'an unknown command', ['frobnicate'], USAGE, 'frobnicate');
  add('flags', '--provider bogus', ['--provider', 'bogus', 'log'], USAGE, 'bogus');
  add('flags', 'edit without its prompt', ['edit'], USAGE, 'prompt');

  // ---- prompts
  add('prompt', 'edit with an empty prompt', ['edit', ''], USAGE, 'prompt');
  add('prompt', 'edit with a blank prompt', ['edit', '   '], USAGE, 'prompt');
  add('prompt', 'edit with a 10,001-character prompt', ['edit', 'x'.repeat(10_001)], USAGE, 'prompt');
  add('prompt', 'whatif with an empty prompt', ['whatif', 'HEAD', ''], USAGE, 'prompt');

  // ---- images
  add('image', 'new from a file that does not exist', ['new', 'no-such-file.png'], USAGE, 'no-such-file.png', { session: false });
  add('image', 'new from a text file', ['new', f.files.text], USAGE, 'image', { session: false });
  add('image', 'new from a truncated PNG', ['new', f.files.truncated], USAGE, 'image', { session: false });
  add('image', 'new from a folder', ['new', f.files.folder], USAGE, 'a-folder', { session: false });
  add('image', 'new from a file: URL', ['new', 'file:///etc/passwd'], USAGE, 'file:', { session: false });
  add('image', 'new from /etc/passwd by traversal', ['new', '../../../../../../../../etc/passwd'], USAGE, 'image', { session: false });
  add('image', 'new from /dev/zero', ['new', '/dev/zero'], USAGE, '/dev/zero', { session: false });
  add('image', 'new with both an image and a prompt', ['new', f.files.image, '--prompt', 'a cat'], USAGE, 'prompt', { session: false });
  add('image', 'new with neither', ['new'], USAGE, 'prompt', { session: false });
  add('image', 'new with --budget -1', ['new', f.files.image, '--budget', '-1'], USAGE, 'budget', { session: false });
  add('image', 'new with --budget abc', ['new', f.files.image, '--budget=abc'], USAGE, 'budget', { session: false });
  add('image', 'new with an unknown endpoint', ['new', f.files.image, '--endpoint', 'nope/nope'], USAGE, 'endpoint', { session: false });

  // ---- ids and refs
  add('id', '--session that does not exist', ['log'], USAGE, 'nope', { session: false, args: ['--session', 'nope', 'log'] });
  add('id', '--session with path traversal', ['log'], USAGE, '../../etc', { session: false, args: ['--session', '../../etc', 'log'] });
  add('id', 'use a session that does not exist', ['use', 'nope'], USAGE, 'nope', { session: false });
  add('id', 'edit --from a turn that does not exist', ['edit', 'make it red', '--from', 'nope'], USAGE, 'nope');
  add('id', 'edit --from ../main', ['edit', 'make it red', '--from', '../main'], USAGE, '../main');
  add('id', 'edit --from ____', ['edit', 'make it red', '--from', '____'], USAGE, '____');
  add('id', 'edit --from HEAD~99', ['edit', 'make it red', '--from', 'HEAD~99'], USAGE, 'HEAD~99');
  add('id', 'checkout a turn that does not exist', ['checkout', 'nope'], USAGE, 'nope');
  add('id', 'checkout ../../x', ['checkout', '../../x'], USAGE, '../../x');
  add('id', 'show a turn that does not exist', ['show', 'nope'], USAGE, 'nope');
  add('id', 'cancel a turn that does not exist', ['cancel', 'nope'], USAGE, 'nope');
  add('id', 'pick on a turn that does not exist', ['pick', 'nope', '0'], USAGE, 'nope');
  add('id', 'pick candidate 9', ['pick', f.firstId, '9'], USAGE, 'candidate');
  add('id', 'pick candidate x', ['pick', f.firstId, 'x'], USAGE, 'candidate');
  add('id', 'whatif on the root', ['whatif', f.rootId, 'x'], USAGE, 'root');
  add('id', 'replay to a turn that does not exist', ['replay', 'nope'], USAGE, 'nope');

  // ---- names
  for (const name of ['../x', 'a/../b', '.hidden', 'a b', 'x'.repeat(101)]) {
    add('branch name', `branch ${JSON.stringify(name.slice(0, 20))}`, ['branch', name], USAGE, 'branch');
    add('branch name', `replay --branch ${JSON.stringify(name.slice(0, 20))}`, ['replay', '--branch', name], USAGE, 'branch');
  }
  add('branch name', 'branch that exists', ['branch', 'alt'], EITHER, 'alt');
  add('branch name', 'branch -d of a branch that does not exist', ['branch', '-d', 'nope'], USAGE, 'nope');
  add('branch name', 'branch -m onto ../y', ['branch', '-m', 'alt', '../y'], USAGE, 'branch');

  // ---- bundles and files
  add('bundle', 'import a file that does not exist', ['import', 'nope.kontext.tgz'], EITHER, 'nope.kontext.tgz', { session: false });
  add('bundle', 'import random bytes', ['import', f.files.garbageBundle], EITHER, 'bundle', { session: false });
  add('bundle', 'import a bundle with ../../evil', ['import', f.files.traversalBundle], EITHER, 'evil', { session: false });
  add('bundle', 'export into a folder that does not exist', ['export', '/no/such/folder/x.kontext.tgz'], EITHER, 'x.kontext.tgz');
  add('bundle', '--db pointing at a text file', ['log'], EITHER, 'database', { session: false, args: ['--db', f.files.fakeDb, 'log'] });
  return cases;
}
