import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Session } from '../../model/index.js';
import { branchDoc } from '../../present/index.js';
import type { McpContext } from '../context.js';
import { sessionWithHead, toolResult, turnImages, turnLine } from '../results.js';
import { BranchArguments, CheckoutArguments, SessionArguments } from '../schemas.js';
import { defineTool } from './defineTool.js';

/** `undo`, `redo`, `checkout` and `branch`: HEAD and branches move; nothing is sent or spent. */
export function navigationTools(server: McpServer, ctx: McpContext): void {
  const { engine, access } = ctx;

  /** Where HEAD is now, with the picture there: what a chat wants to see after moving it. */
  const headAnswer = async (session: Session, verb: string) => {
    const head = await engine.head(session.id);
    const refs = await engine.listBranches(session.id);
    const lines = head ? [`${verb}: HEAD is now at`, turnLine(head, session, refs)] : [`${verb}: HEAD is not set`];
    return toolResult(lines, sessionWithHead(session, head), head ? await turnImages(ctx, head, 'picked') : []);
  };

  defineTool(server, ctx, {
    name: 'undo',
    title: 'Undo',
    description: "Moves HEAD to its parent turn (an attached branch moves with it). Nothing is deleted: redo goes back down, and the undone turn stays in the tree.",
    args: SessionArguments,
    effect: 'write',
    run: async ({ sessionId }) => {
      await access.session(ctx.owner, sessionId);
      return headAnswer(await engine.undo(sessionId), 'undo');
    },
  });

  defineTool(server, ctx, {
    name: 'redo',
    title: 'Redo',
    description: 'Moves HEAD back down to the turn the last undo left.',
    args: SessionArguments,
    effect: 'write',
    run: async ({ sessionId }) => {
      await access.session(ctx.owner, sessionId);
      return headAnswer(await engine.redo(sessionId), 'redo');
    },
  });

  defineTool(server, ctx, {
    name: 'checkout',
    title: 'Check out a turn or branch',
    description: 'Moves HEAD to a turn or branch. A branch name attaches HEAD to it, so later edits advance that branch; a turn id detaches HEAD.',
    args: CheckoutArguments,
    effect: 'write',
    idempotent: true,
    run: async ({ sessionId, ref }) => {
      await access.session(ctx.owner, sessionId);
      return headAnswer(await engine.checkout(sessionId, ref), 'checkout');
    },
  });

  defineTool(server, ctx, {
    name: 'branch',
    title: 'Create a branch',
    description: 'Names a turn (default HEAD) as a new branch, to come back to with checkout. HEAD does not move.',
    args: BranchArguments,
    effect: 'write',
    run: async ({ sessionId, name, at }) => {
      await access.session(ctx.owner, sessionId);
      const ref = await engine.createBranch(sessionId, name, at);
      return toolResult([`branch ${ref.name} created at turn ${ref.turnId}`], { branch: branchDoc(ref) });
    },
  });
}
