import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { readGlobals, type GlobalOptions } from './globals.js';
import type { CommandResult, Output } from './output.js';

/** State shared by the program and its commands for one run of `kontext`. */
export interface CliRuntime {
  output: Output;
  /** The exit status the run ends with. */
  exitCode: number;
  /** The command being run, named in error lines. */
  command: string | undefined;
  /** Where FAL_KEY and the fal URL overrides are read. */
  env: Readonly<Record<string, string | undefined>>;
}

/** One command's behaviour: check the command line, then act on the open database and engine. */
export interface CommandSpec<I> {
  name: string;
  /**
   * Checks the arguments and options and turns them into the command's input, with no I/O,
   * so a usage error is reported before the database is opened or anything is resumed.
   */
  parse: (args: string[], options: Record<string, unknown>, globals: GlobalOptions) => I;
  /**
   * When in-flight turns of the database are resumed: `before` the command (the default), or
   * `after` it (`cancel`, which must not first wait for the very turn it is asked to stop), or
   * `none` (`resume` itself, which reports what it did as its result).
   */
  resume?: 'before' | 'after' | 'none';
  /** Set by commands that handle SIGINT themselves (`serve`). */
  ownsSignals?: boolean;
  /**
   * Set by commands that serve clients for a while (`serve`, `mcp`): their engine re-publishes
   * the turns other processes write to the database, so event streams show them. A one-shot
   * command has nobody to tell, and does not poll.
   */
  liveUpdates?: boolean;
  run: (ctx: CliContext, input: I) => Promise<CommandResult>;
}

/**
 * Wraps a command spec as a commander action: load the command's module, parse (usage
 * errors exit 2 before any I/O), open the database, resume what a killed process left in
 * flight, run, print the result, close. Errors propagate to `main`, which prints them as
 * one line.
 */
export function commandAction<I>(runtime: CliRuntime, load: () => Promise<CommandSpec<I>>) {
  return async (...raw: unknown[]): Promise<void> => {
    const command = raw.at(-1) as Command;
    const options = (raw.at(-2) ?? {}) as Record<string, unknown>;
    const args = raw.slice(0, -2).map((a) => a as string);
    const globals = readGlobals(command);
    runtime.output.json = globals.json;
    runtime.output.debug = globals.debug;
    const spec = await load();
    runtime.command = spec.name;
    const input = spec.parse(args, options, globals);

    // Lazy: the database and engine pull in SQLite, sharp and undici, which `--help` does not need.
    const { CliContext } = await import('./context.js');
    const ctx = new CliContext(globals, runtime.output, runtime.env, { liveUpdates: spec.liveUpdates === true });
    const onSigint = () => {
      ctx.progress.stop();
      runtime.output.note(
        "interrupted: turns in flight stay recorded with their request ids; the next kontext command (or 'kontext resume') collects them, 'kontext cancel <turn>' stops them",
      );
      process.exit(130);
    };
    if (!spec.ownsSignals) process.once('SIGINT', onSigint);
    try {
      if ((spec.resume ?? 'before') === 'before') ctx.reportResume(await ctx.resumeInFlight());
      const result = await spec.run(ctx, input);
      ctx.progress.stop();
      if (spec.resume === 'after') ctx.reportResume(await ctx.resumeInFlight());
      runtime.exitCode = runtime.output.result(result, spec.name);
    } finally {
      process.off('SIGINT', onSigint);
      await ctx.close();
    }
  };
}
