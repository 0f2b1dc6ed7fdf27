import type { Command } from 'commander';
import { commandAction, type CliRuntime } from '../action.js';
import { sessionJson } from '../views.js';

/** `kontext use <session>`: remembers the session later commands act on. */
export function registerUse(program: Command, runtime: CliRuntime): void {
  program
    .command('use')
    .description('make a session the current one for later commands (remembered in a file beside the database)')
    .argument('<session>', "session id or unique prefix (see 'kontext sessions')")
    .action(
      commandAction<{ session: string }>(runtime, {
        name: 'use',
        parse: ([session]) => ({ session: session! }),
        run: async (ctx, input) => {
          const session = await ctx.findSession(input.session);
          ctx.current.set(session.id);
          return { data: { current: session.id, session: sessionJson(session) }, text: [`now using session ${session.id}${session.title ? ` "${session.title}"` : ''}`] };
        },
      }),
    );
}
