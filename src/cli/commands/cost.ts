import { formatMicros } from '../../format/logGraph.js';
import type { CommandSpec } from '../action.js';

/** `kontext cost`: spend of the session, per branch and in total, against its budget. */
export const costCommand: CommandSpec<null> = {
  name: 'cost',
  parse: () => null,
  run: async (ctx) => {
    const cost = await (await ctx.engine()).cost(await ctx.sessionId());
    const paid = Object.values(cost.byTurn).filter((c) => c > 0).length;
    const text = [
      `total   ${formatMicros(cost.totalMicros)} over ${paid} paid turn(s)`,
      `budget  ${cost.budgetMicros === null ? 'none' : `${formatMicros(cost.budgetMicros)} (${formatMicros(Math.max(0, cost.budgetMicros - cost.totalMicros))} left)`}`,
    ];
    const width = Math.max(0, ...Object.keys(cost.byBranch).map((n) => n.length));
    for (const [name, micros] of Object.entries(cost.byBranch)) text.push(`  ${name.padEnd(width)}  ${formatMicros(micros)}`);
    return { data: cost, text };
  },
};
