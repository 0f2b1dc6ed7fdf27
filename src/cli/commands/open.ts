import { ConflictError } from '../../errors/ConflictError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import type { CommandSpec } from '../action.js';
import { outputDoc } from '../../present/documents.js';
import { short } from '../../present/lines.js';
import { wholeNumber } from '../wholeNumber.js';

/** `kontext open <turn>`: the archived image file of a turn's picked output, for a viewer. */
export const openCommand: CommandSpec<{ turn: string; candidate: number | undefined }> = {
  name: 'open',
  parse: ([turn], options) => ({ turn: turn!, candidate: options.candidate === undefined ? undefined : wholeNumber(options.candidate as string, '--candidate') }),
  run: async (ctx, input) => {
    const turn = await ctx.turn((await ctx.resolveTurn(await ctx.session(), input.turn)).id);
    if (turn.outputs.length === 0) throw new ConflictError(`turn ${short(turn.id)} has no image (status ${turn.status})`, { turnId: turn.id, status: turn.status });
    const index = input.candidate ?? turn.selectedOutput;
    const output = turn.outputs[index];
    if (!output) throw new ValidationError([{ field: '--candidate', message: `${index} is not an output of turn ${short(turn.id)}; allowed: 0 to ${turn.outputs.length - 1}` }]);
    const path = ctx.blobs?.localPath(output.blobHash);
    if (!path) throw new ConflictError(`the archive keeps no local file for image ${output.blobHash}`, { blobHash: output.blobHash });
    return { data: { turn: turn.id, ...outputDoc(output, turn, ctx.address), path }, text: [path] };
  },
};
