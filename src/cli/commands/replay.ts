import type { Command } from 'commander';
import { formatMicros } from '../../format/logGraph.js';
import { commandAction, type CliRuntime } from '../action.js';
import { short } from '../views.js';

interface ReplayInput {
  to: string | undefined;
  fresh: boolean;
  branch: string | undefined;
}

/** `kontext replay [<turn>] [--fresh] [--branch name]`: the path root → turn again, on a new branch. */
export function registerReplay(program: Command, runtime: CliRuntime): void {
  program
    .command('replay')
    .description('replay the path root → <turn> into a new branch: exactly from the archive (no provider call), or --fresh with the recorded seeds')
    .argument('[turn]', 'last turn of the path (default: HEAD)')
    .option('--fresh', 'run every turn again with its endpoint, params and used seed, and report how close each image comes (default: exact copy)')
    .option('--branch <name>', 'name of the new branch (default: replay, replay-1, …)')
    .action(
      commandAction<ReplayInput>(runtime, {
        name: 'replay',
        parse: ([to], options) => ({ to, fresh: options.fresh === true, branch: options.branch as string | undefined }),
        run: async (ctx, input) => {
          const sessionId = await ctx.sessionId();
          // Only a fresh replay calls the provider; an exact one copies from the archive.
          const engine = input.fresh ? await ctx.providerEngine() : await ctx.engine();
          const report = await engine.replay(sessionId, { to: input.to, mode: input.fresh ? 'fresh' : 'exact', branch: input.branch });
          const failed = report.steps.find((s) => s.status !== 'succeeded');
          const text = [`replayed ${report.steps.length} turn(s) ${report.mode} into branch ${report.branch}, tip ${short(report.tip)} (HEAD)`];
          for (const step of report.steps) {
            const fidelity = step.fidelity ? (step.fidelity.identical ? ' · identical' : ` · mean difference ${(step.fidelity.meanAbsDiff * 100).toFixed(2)}%`) : '';
            text.push(`  ${short(step.original)} → ${short(step.replayed)}  ${step.status}${fidelity}`);
          }
          text.push(`provider calls: ${report.providerCalls} · cost ${formatMicros(report.costMicros)}`);
          return {
            data: report,
            text,
            failure: failed ? `turn ${short(failed.replayed)} (replaying ${short(failed.original)}) ${failed.status}; the replay stopped there` : undefined,
          };
        },
      }),
    );
}
