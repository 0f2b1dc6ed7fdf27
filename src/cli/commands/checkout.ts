import type { Command } from 'commander';
import type { SessionRow } from '../../store/schema.js';
import { commandAction, type CliRuntime } from '../action.js';
import type { CliContext } from '../context.js';
import type { CommandResult } from '../output.js';
import { headLine, sessionJson, turnJson } from '../views.js';

/** The result of every command that moves HEAD: where it is now. */
export async function headMoved(ctx: CliContext, session: SessionRow): Promise<CommandResult> {
  const head = session.headTurnId ? await ctx.turnView(session.headTurnId) : null;
  return {
    data: { session: sessionJson(session), head: head && turnJson(head, ctx.blobs) },
    text: [headLine(session, head)],
  };
}

/** `kontext checkout <turn|branch>`: moves HEAD; a branch name attaches HEAD to that branch. */
export function registerCheckout(program: Command, runtime: CliRuntime): void {
  program
    .command('checkout')
    .description('move HEAD to a turn or branch (a branch name attaches HEAD, so edits advance the branch)')
    .argument('<turn|branch>', 'branch name, turn id or unique prefix (at least 4 characters), HEAD~N')
    .action(
      commandAction<{ ref: string }>(runtime, {
        name: 'checkout',
        parse: ([ref]) => ({ ref: ref! }),
        run: async (ctx, input) => headMoved(ctx, await (await ctx.engine()).checkout(await ctx.sessionId(), input.ref)),
      }),
    );
}
