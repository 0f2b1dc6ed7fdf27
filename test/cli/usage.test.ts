import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, workspace, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

const COMMANDS = ['new', 'edit', 'log', 'show', 'checkout', 'undo', 'redo', 'branch', 'pick', 'rm', 'fork', 'pin', 'unpin', 'pins', 'replay', 'whatif', 'cancel', 'resume', 'cost', 'sessions', 'use', 'export', 'import', 'gc', 'open', 'serve'];

/** The option entries of a help text: a line `  -x, --flag …` and the wrapped lines under it. */
function optionEntries(help: string): string[] {
  const entries: string[] = [];
  let open = false;
  for (const line of help.split('\n')) {
    if (/^ {2}-/.test(line)) {
      entries.push(line.trim());
      open = true;
    } else if (open && /^ {3,}\S/.test(line)) {
      entries[entries.length - 1] += ` ${line.trim()}`;
    } else {
      open = false;
    }
  }
  return entries;
}

describe('help', () => {
  it('kontext --help lists every command, the exit statuses and the environment', async () => {
    ws = await workspace();
    const { code, stdout } = await ws.run(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    expect(stdout).toContain('Exit status:');
    expect(stdout).toContain('FAL_KEY');
  });

  it('kontext <command> --help lists every option with its default', async () => {
    ws = await workspace();
    for (const command of COMMANDS) {
      const { code, stdout } = await ws.run([command, '--help']);
      expect(code, command).toBe(0);
      const options = optionEntries(stdout).filter((o) => !o.startsWith('-h, --help') && !o.startsWith('-V, --version'));
      expect(options.length, command).toBeGreaterThan(0);
      for (const option of options) expect(option, `${command}: ${option}`).toMatch(/default/);
    }
    const edit = await ws.run(['edit', '--help']);
    for (const flag of ['--from', '--seed', '--guidance', '--num-images', '--format', '--aspect', '--safety', '--enhance', '--endpoint', '--db', '--json']) {
      expect(edit.stdout).toContain(flag);
    }
    // Defaults come from the schema, not from a second copy of it.
    expect(edit.stdout).toMatch(/--guidance <n>[\s\S]*else 3\.5\)/);
  }, 120_000);
});

describe('usage errors exit 2 with one line saying what was wrong and what is allowed', () => {
  const cases: [string[], string][] = [
    [['edit', 'x', '--guidance', '25'], 'guidance_scale: 25 is above the maximum 20 (--guidance)'],
    [['edit', 'x', '--aspect', '5:4'], 'aspect_ratio: "5:4" is not allowed; allowed: "21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21" (--aspect)'],
    [['edit', 'x', '--num-images', '0'], 'num_images: 0 is below the minimum 1 (--num-images)'],
    [['edit', 'x', '--seed', '1.5'], 'seed: 1.5 is not an integer (--seed)'],
    [['edit', 'x', '--guidance', 'lots'], 'guidance_scale: "lots" is a string; expected number (--guidance)'],
    [['edit', 'x', '--safety', '9'], 'safety_tolerance: "9" is not allowed; allowed: "1", "2", "3", "4", "5", "6" (--safety)'],
    [['edit', 'x', '--bogus'], "unknown option '--bogus'"],
    [['edit'], "missing required argument 'prompt'"],
    [['whatif', 'HEAD', 'x', '--guidance', '0'], 'guidance_scale: 0 is below the minimum 1 (--guidance)'],
    [['pick', 'HEAD', 'first'], 'candidate: "first" is not allowed'],
    [['new'], 'give an image to start from'],
    [['branch', '-m', 'only-one'], '-m takes two branch names'],
    [['--provider', 'cloud', 'log'], "argument 'cloud' is invalid. Allowed choices are auto, local, fal"],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ];

  it.each(cases)('kontext %j', async (args, message) => {
    ws = await workspace();
    const { code, stdout, stderr } = await ws.run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    // Refused before anything was opened: the database was not even created.
    expect(existsSync(ws.db)).toBe(false);
  });

  it('unknown turn ids, too-short prefixes and a missing session are usage errors', async () => {
    ws = await workspace();
    const none = await ws.run(['log']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no session selected: start one with 'kontext new <image>'");

    await ws.json(['new', ws.image]);
    const unknown = await ws.run(['show', 'zzzzzz']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^kontext show: no turn or branch 'zzzzzz' in session '\S+'\n$/);
    const short = await ws.run(['checkout', 'ab']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('id prefixes need at least 4 characters');
    const above = await ws.run(['show', 'HEAD~3']);
    expect(above.code).toBe(2);
    expect(above.stderr).toContain("'HEAD~3' goes above the root");
    const session = await ws.run(['--session', 'nope-nope', 'log']);
    expect(session.code).toBe(2);
    expect(session.stderr).toContain("no session 'nope-nope'");
  }, 60_000);
});

describe('failed operations exit 1', () => {
  it('nothing to undo, an existing branch, cancelling a finished turn, a file that is no bundle', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const undo = await ws.run(['undo']);
    expect(undo.code).toBe(1);
    expect(undo.stderr).toBe('kontext undo: nothing to undo: HEAD is at the root\n');

    const exists = await ws.run(['branch', 'main']);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain("branch 'main' already exists");

    const { turn } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1']);
    const cancel = await ws.run(['cancel', turn.id]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('already finished (succeeded); nothing to cancel');

    const notBundle = await ws.run(['import', ws.image]);
    expect(notBundle.code).toBe(1);
    expect(notBundle.stderr).toMatch(/^kontext import: .+\n$/);
  }, 60_000);

  it('prints a stack trace only with --debug', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const plain = await ws.run(['undo']);
    expect(plain.stderr.trimEnd().split('\n')).toHaveLength(1);
    const debug = await ws.run(['undo', '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain('nothing to undo');
    expect(debug.stderr).toMatch(/\n\s+at /);
  }, 60_000);

  const serverBuilt = existsSync(new URL('../../dist/src/server/index.js', import.meta.url));

  it.skipIf(serverBuilt)('serve says plainly when the HTTP server is not part of the build', async () => {
    ws = await workspace();
    const { code, stderr } = await ws.run(['serve', '--port', '0']);
    expect(code).toBe(1);
    expect(stderr).toContain('kontext serve: the HTTP server is not available in this build');
  });

  it.skipIf(!serverBuilt)('serve refuses to listen beyond loopback without tokens (exit 2)', async () => {
    ws = await workspace();
    const { code, stdout, stderr } = await ws.run(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('refusing to listen on 0.0.0.0 without tokens');
  });
});
