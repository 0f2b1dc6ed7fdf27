import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { formatMicros, logGraph } from '../../format/logGraph.js';
import type { McpContext } from '../context.js';
import { treeUri } from '../resources.js';
import { toolResult } from '../results.js';
import { SessionArguments } from '../schemas.js';
import { defineTool } from './defineTool.js';

/** `log` and `cost`. */
export function readTools(server: McpServer, ctx: McpContext): void {
  const { engine, access } = ctx;

  defineTool(server, ctx, {
    name: 'log',
    title: 'Session tree',
    description:
      'The whole tree of the session as text, newest first, like git log --graph --all: * a turn, | a branch, |/ where one forks; ' +
      'each line has the turn id, its branches (HEAD -> main), prompt, seed, cost and status.',
    args: SessionArguments,
    effect: 'read',
    run: async ({ sessionId }) => {
      await access.session(ctx.owner, sessionId);
      const tree = await engine.tree(sessionId);
      const lines = logGraph(tree.session, tree.turns, tree.branches, { idLength: 64 });
      // Text only: the same tree as JSON can be large, and is a resource of its own.
      return {
        content: [
          { type: 'text', text: lines.join('\n') },
          { type: 'resource_link', uri: treeUri(sessionId), name: `session-${sessionId}-tree.json`, mimeType: 'application/json', description: 'The same tree as JSON: every turn with its params, seeds, cost and outputs.' },
        ],
      };
    },
  });

  defineTool(server, ctx, {
    name: 'cost',
    title: 'Spend',
    description: "The session's spend in micro-dollars ($1 = 1 000 000): in total, per branch (root → tip), per turn, and its budget.",
    args: SessionArguments,
    effect: 'read',
    run: async ({ sessionId }) => {
      await access.session(ctx.owner, sessionId);
      const cost = await engine.cost(sessionId);
      const lines = [
        `spent ${formatMicros(cost.totalMicros)}${cost.budgetMicros === null ? ' (no budget)' : ` of a budget of ${formatMicros(cost.budgetMicros)}`}`,
        ...Object.entries(cost.byBranch).map(([name, micros]) => `  ${name}: ${formatMicros(micros)}`),
      ];
      return toolResult(lines, cost);
    },
  });
}
