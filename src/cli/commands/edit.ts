import type { KontextParamsOverrides } from '../../kontext/schemas.js';
import type { CommandSpec } from '../action.js';
import { paramsFromFlags } from '../params.js';
import { turnDoc } from '../../present/documents.js';
import { turnFailure, turnLines } from '../../present/lines.js';
import { wholeNumber } from '../wholeNumber.js';
import type { ImageInput } from '../../engine/images.js';
import { imageArgument } from '../imageArgument.js';

interface EditInput {
  prompt: string;
  params: KontextParamsOverrides;
  from: string | undefined;
  candidate: number | undefined;
  endpoint: string | undefined;
  references: ImageInput[] | undefined;
}

/** `kontext edit "<prompt>"`: one turn from HEAD (or `--from`), chained on the parent's picked image. */
export const editCommand: CommandSpec<EditInput> = {
  name: 'edit',
  parse: ([prompt], options) => ({
    prompt: prompt!,
    params: paramsFromFlags(options),
    from: options.from as string | undefined,
    candidate: options.candidate === undefined ? undefined : wholeNumber(options.candidate as string, '--candidate'),
    endpoint: options.endpoint as string | undefined,
    // Read like `kontext new <image>`: the CLI's user may read their own files.
    references: (options.ref as string[] | undefined)?.map((ref) => imageArgument(ref, '--ref')),
  }),
  run: async (ctx, input) => {
    const sessionId = await ctx.sessionId();
    const engine = await ctx.providerEngine();
    const turn = await engine.edit(sessionId, input.prompt, input.params, { from: input.from, candidate: input.candidate, endpoint: input.endpoint, references: input.references });
    return {
      data: { session: sessionId, turn: turnDoc(turn, ctx.address) },
      text: turnLines(turn, ctx.address),
      failure: turnFailure(turn),
    };
  },
};
