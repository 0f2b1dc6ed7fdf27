import type { Session } from '../../model/index.js';
import type { CommandSpec } from '../action.js';
import type { CliContext } from '../context.js';
import type { CommandResult } from '../output.js';
import { headDoc } from '../../present/documents.js';
import { headLine } from '../../present/lines.js';

/** The result of every command that moves HEAD: where it is now. */
export async function headMoved(ctx: CliContext, session: Session): Promise<CommandResult> {
  const head = session.headTurnId ? await ctx.turn(session.headTurnId) : null;
  return {
    data: headDoc(session, head, ctx.address),
    text: [headLine(session, head)],
  };
}

/** `kontext checkout <turn|branch>`: moves HEAD; a branch name attaches HEAD to that branch. */
export const checkoutCommand: CommandSpec<{ ref: string }> = {
  name: 'checkout',
  parse: ([ref]) => ({ ref: ref! }),
  run: async (ctx, input) => headMoved(ctx, await (await ctx.engine()).checkout(await ctx.sessionId(), input.ref)),
};
