import type { Command } from 'commander';
import type { KontextParamsOverrides } from '../../kontext/schemas.js';
import { commandAction, type CliRuntime } from '../action.js';
import { addParamFlags, EDIT_ENDPOINTS, paramsFromFlags, wholeNumber } from '../params.js';
import { turnFailure, turnJson, turnLines } from '../views.js';

interface EditInput {
  prompt: string;
  params: KontextParamsOverrides;
  from: string | undefined;
  candidate: number | undefined;
  endpoint: string | undefined;
}

/** `kontext edit "<prompt>"`: one turn from HEAD (or `--from`), chained on the parent's picked image. */
export function registerEdit(program: Command, runtime: CliRuntime): void {
  const command = program
    .command('edit')
    .description("edit the image at HEAD (or --from) with a prompt; editing from a turn that already has children makes a new branch")
    .argument('<prompt>', 'the edit instruction, e.g. "make it night"')
    .option('--from <turn|branch>', 'turn to continue from: id or unique prefix, branch name, HEAD~N (default: HEAD)')
    .option('--candidate <n>', "which output of that turn to continue from (default: its picked one, see 'kontext pick')")
    .option('--endpoint <id>', `edit endpoint for this turn only: ${EDIT_ENDPOINTS.join(', ')} (default: the session's)`);
  addParamFlags(command).action(
    commandAction<EditInput>(runtime, {
      name: 'edit',
      parse: ([prompt], options) => ({
        prompt: prompt!,
        params: paramsFromFlags(options),
        from: options.from as string | undefined,
        candidate: options.candidate === undefined ? undefined : wholeNumber(options.candidate as string, '--candidate'),
        endpoint: options.endpoint as string | undefined,
      }),
      run: async (ctx, input) => {
        const sessionId = await ctx.sessionId();
        const engine = await ctx.providerEngine();
        const turn = await engine.edit(sessionId, input.prompt, input.params, { from: input.from, candidate: input.candidate, endpoint: input.endpoint });
        return {
          data: { session: sessionId, turn: turnJson(turn, engine.blobs) },
          text: turnLines(turn, engine.blobs),
          failure: turnFailure(turn),
        };
      },
    }),
  );
}
