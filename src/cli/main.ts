#!/usr/bin/env node
/**
 * The `kontext` command: see `kontext --help`, or src/cli/commands/index.ts for the commands
 * and src/cli/exitCodes.ts for the exit statuses.
 */
import { CommanderError } from 'commander';
import type { CliRuntime } from './action.js';
import { describeContractOptions } from './contractOption.js';
import { EXIT } from './exitCodes.js';
import { Output } from './output.js';
import { buildProgram } from './program.js';

/** Commander's ways of saying "help or version was shown": not errors, nothing more to print. */
const SHOWN = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** Runs `kontext` with these arguments and resolves with the exit status. */
async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  // --json and --debug are known before parsing, so even a parse error is reported their way.
  const output = new Output({ json: argv.includes('--json'), debug: argv.includes('--debug'), secret: env.FAL_KEY });
  const runtime: CliRuntime = { output, exitCode: EXIT.ok, command: undefined, env };
  try {
    const program = buildProgram(runtime);
    await describeContractOptions(program, argv);
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && SHOWN.has(error.code)) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return output.error(error, runtime.command);
  }
  return runtime.exitCode;
}

// A reader that stops early (`kontext log | head`) is not our failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// No top-level await: this file is also bundled as CommonJS (scripts/bundleCli.mjs).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Exit explicitly once stdout is flushed: a keep-alive socket or a timer a provider left
  // behind must not keep a finished command waiting.
  process.stdout.write('', () => process.exit(code));
});
