import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { packageRoot } from '../store/packageRoot.js';
import type { CliRuntime } from './action.js';
import { declareCommands } from './commands/index.js';
import { DEFAULT_DB } from './globals.js';

const FOOTER = `
Exit status:
  0  success
  1  the operation failed: provider error, budget exceeded, turn failed or cancelled,
     conflict (nothing to undo, branch exists), network or archive problem
  2  usage: unknown command or flag, missing argument, value out of range, unknown or
     ambiguous turn, branch or session id, no session selected

Environment:
  FAL_KEY           run turns on fal (never printed); without it the offline local simulator runs
  FAL_QUEUE_URL, FAL_RUN_URL, FAL_STORAGE_URL
                    base URLs of fal's queue, run and storage APIs (for proxies and tests)
  KONTEXT_DB        database file, like --db

Turns are named like git commits: an id or a unique prefix of at least 4 characters, a
branch name, HEAD, or HEAD~N. Every command first completes turns an interrupted kontext
left in flight, by their request ids, without paying again.`;

/**
 * Builds the `kontext` command line: global options, every command, help listing each option
 * with its default. Parse errors throw (exitOverride) so `main` can print them as one line
 * and exit 2.
 *
 * @example
 * const program = buildProgram({ output: new Output(), exitCode: 0, command: undefined, env: process.env });
 * await program.parseAsync(['log', '--graph'], { from: 'user' });
 */
export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('kontext')
    .description('Multi-turn image editing sessions on FLUX.1 Kontext: a tree of edit turns to branch, undo, replay and export.')
    .version(readVersion(), '-V, --version', 'print the version')
    .addOption(new Option('--db <file>', 'SQLite database; images are archived in <its folder>/blobs').env('KONTEXT_DB').default(DEFAULT_DB))
    .option('-s, --session <id>', "session to act on, id or unique prefix (default: the current one, set by 'kontext new', 'import' or 'use')")
    .addOption(
      new Option('--provider <name>', 'who runs turns: auto = fal when FAL_KEY is set, else bfl when BFL_API_KEY is, else the offline local simulator').choices(['auto', 'local', 'fal', 'bfl']).default('auto'),
    )
    .option('--json', 'print one JSON document on stdout instead of text (default: off)')
    .option('-q, --quiet', 'no progress lines on stderr (default: off)')
    .option('--debug', 'print stack traces with errors (default: off)')
    .addHelpText('after', FOOTER)
    .showSuggestionAfterError(true);

  declareCommands(program, runtime);
  program.hook('preSubcommand', (_program, sub) => {
    runtime.command = sub.name();
  });

  // Settings every command shares; commander copies them only to commands created after they are set.
  for (const command of [program, ...program.commands]) {
    command
      .exitOverride()
      .configureHelp({ showGlobalOptions: true })
      .configureOutput({
        writeOut: (text) => process.stdout.write(text),
        writeErr: (text) => process.stderr.write(text),
        // Parse errors are printed by main, as one line naming the command, with a JSON
        // document too under --json.
        outputError: () => undefined,
      });
  }
  return program;
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
