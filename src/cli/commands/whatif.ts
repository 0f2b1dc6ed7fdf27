import { formatMicros } from '../../format/logGraph.js';
import type { KontextParamsOverrides } from '../../kontext/schemas.js';
import type { CommandSpec } from '../action.js';
import { paramsFromFlags } from '../params.js';
import { short } from '../../present/lines.js';

interface WhatIfInput {
  turn: string;
  prompt: string;
  params: KontextParamsOverrides | undefined;
  dryRun: boolean;
}

/** `kontext whatif <turn> "<prompt>" [--dry-run]`: change one turn and re-apply its subtree on top. */
export const whatIfCommand: CommandSpec<WhatIfInput> = {
  name: 'whatif',
  parse: ([turn, prompt], options) => {
    const params = paramsFromFlags(options);
    return { turn: turn!, prompt: prompt!, params: Object.keys(params).length > 0 ? params : undefined, dryRun: options.dryRun === true };
  },
  run: async (ctx, input) => {
    const sessionId = await ctx.sessionId();
    const engine = input.dryRun ? await ctx.engine() : await ctx.providerEngine();
    const result = await engine.whatIf(sessionId, input.turn, { prompt: input.prompt, params: input.params }, { dryRun: input.dryRun });
    const text = [
      `${result.dryRun ? 'plan' : 'what-if'}: ${result.plan.length} turn(s), estimated ${formatMicros(result.estimatedCostMicros)}`,
      ...result.plan.map((step) => {
        const made = result.mapping[step.original];
        return `  ${short(step.original)}${made ? ` → ${short(made)}` : ''}  ${step.prompt}  (${step.endpointId}, ${formatMicros(step.estimatedCostMicros)})`;
      }),
    ];
    for (const [from, to] of Object.entries(result.branches)) text.push(`branch ${to} copies ${from}`);
    if (result.dryRun) text.push('dry run: nothing was written or spent');
    return {
      data: result,
      text,
      failure: result.failed.length > 0 ? `${result.failed.length} turn(s) failed to re-apply: ${result.failed.map(short).join(', ')} (their subtrees were skipped)` : undefined,
    };
  },
};
