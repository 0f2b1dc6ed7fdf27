import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { formatMicros } from '../../format/logGraph.js';
import { clientCancellation } from '../cancellation.js';
import { withTurnSlot, type McpContext } from '../context.js';
import { forwardProgress, type ToolExtra } from '../progress.js';
import { toolResult, turnImages } from '../results.js';
import { ReplayArguments, WhatIfArguments } from '../schemas.js';
import { defineTool } from './defineTool.js';

/** `replay`, `replay_fresh`, `what_if_plan` and `what_if`. */
export function replayTools(server: McpServer, ctx: McpContext): void {
  const { engine, access } = ctx;

  /**
   * Runs turns: `work` gets a signal that a cancelled call aborts (cancelling its turns on the
   * provider), and the session's turn events go to the caller as progress meanwhile.
   */
  const runTurns = async <T>(sessionId: string, extra: ToolExtra, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const cancellation = clientCancellation(extra, ctx.connection);
    const events = engine.subscribe({ sessionId });
    void forwardProgress(events, extra);
    try {
      return await withTurnSlot(ctx, () => work(cancellation.signal));
    } finally {
      cancellation.dispose();
      void events.return();
    }
  };

  const replay = (mode: 'exact' | 'fresh') => async ({ sessionId, to, branch }: { sessionId: string; to?: string; branch?: string }, extra: ToolExtra) => {
    await access.session(ctx.owner, sessionId);
    const report =
      mode === 'exact' ? await engine.replay(sessionId, { to, branch, mode }) : await runTurns(sessionId, extra, (signal) => engine.replay(sessionId, { to, branch, mode, signal }));
    const tip = await engine.getTurn(report.tip);
    const failed = report.steps.filter((s) => s.status !== 'succeeded');
    const lines = [
      `replayed ${report.steps.length} turn(s) ${mode === 'exact' ? 'exactly, from the archive' : 'afresh'} into branch ${report.branch}, tip ${report.tip}`,
      `${report.providerCalls} provider call(s), ${formatMicros(report.costMicros)}`,
      ...failed.map((s) => `turn ${s.replayed} (replaying ${s.original}) ${s.status}`),
    ];
    return toolResult(lines, { replay: report }, await turnImages(ctx, tip, 'picked'), failed.length > 0);
  };

  defineTool(server, ctx, {
    name: 'replay',
    title: 'Replay exactly',
    description: 'Copies the path root → `to` (default HEAD) into a new branch from the archive: the same images, no provider call, nothing spent.',
    args: ReplayArguments,
    effect: 'write',
    run: replay('exact'),
  });

  defineTool(server, ctx, {
    name: 'replay_fresh',
    title: 'Replay afresh',
    description:
      'Runs the path root → `to` (default HEAD) again on the provider, turn by turn with the recorded endpoints, params and seeds, into a new branch: ' +
      'a paid call per turn. Reports how close each new picture comes to the original.',
    args: ReplayArguments,
    effect: 'spend',
    run: replay('fresh'),
  });

  defineTool(server, ctx, {
    name: 'what_if_plan',
    title: 'Plan a what-if',
    description: "The dry run of what_if: which turns would run again after changing one turn's prompt or params, and what it would cost. Writes and spends nothing.",
    args: WhatIfArguments,
    effect: 'read',
    run: async ({ sessionId, turn, prompt, params }) => {
      await access.session(ctx.owner, sessionId);
      const result = await engine.whatIf(sessionId, turn, { prompt, params }, { dryRun: true });
      const lines = [`a what-if would run ${result.plan.length} turn(s), estimated ${formatMicros(result.estimatedCostMicros)}`, ...result.plan.map((s) => `  ${s.original}: ${s.prompt} (${formatMicros(s.estimatedCostMicros)})`)];
      return toolResult(lines, { whatIf: result });
    },
  });

  defineTool(server, ctx, {
    name: 'what_if',
    title: 'What if',
    description:
      "Changes one turn's prompt or params and re-applies everything after it on a copy, like a git rebase: paid provider calls (see what_if_plan for the cost first). " +
      'The original turns stay; branches are copied with a -whatif suffix. Returns the new version of the changed turn.',
    args: WhatIfArguments,
    effect: 'spend',
    run: async ({ sessionId, turn, prompt, params }, extra) => {
      await access.session(ctx.owner, sessionId);
      const changed = await access.turn(ctx.owner, sessionId, turn);
      const result = await runTurns(sessionId, extra, (signal) => engine.whatIf(sessionId, turn, { prompt, params }, { signal }));
      const newId = result.mapping[changed.id];
      const lines = [
        `what-if ran ${Object.keys(result.mapping).length} turn(s), estimated ${formatMicros(result.estimatedCostMicros)}${newId ? `; turn ${changed.id} is now ${newId}` : ''}`,
        ...Object.entries(result.branches).map(([from, to]) => `branch ${from} copied as ${to}`),
        ...result.failed.map((id) => `turn ${id} did not succeed`),
      ];
      const images = newId ? await turnImages(ctx, await engine.getTurn(newId), 'picked') : [];
      return toolResult(lines, { whatIf: result }, images, result.failed.length > 0);
    },
  });
}
