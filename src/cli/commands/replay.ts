import { formatMicros } from '../../format/logGraph.js';
import type { CommandSpec } from '../action.js';
import { short } from '../../present/lines.js';

interface ReplayInput {
  to: string | undefined;
  fresh: boolean;
  branch: string | undefined;
}

/** `kontext replay [<turn>] [--fresh] [--branch name]`: the path root → turn again, on a new branch. */
export const replayCommand: CommandSpec<ReplayInput> = {
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
};
