import type { CommandSpec } from '../action.js';
import { short } from '../../present/lines.js';

/** `kontext import <file>`: a bundle's session into this database (images verified), made current. */
export const importCommand: CommandSpec<{ file: string }> = {
  name: 'import',
  parse: ([file]) => ({ file: file! }),
  run: async (ctx, input) => {
    const result = await (await ctx.engine()).importBundle(input.file);
    ctx.current.set(result.sessionId);
    return {
      data: { ...result, current: result.sessionId },
      text: [
        result.alreadyPresent
          ? `session ${result.sessionId} was already here; nothing imported`
          : `imported session ${result.sessionId}: ${result.turns} turn(s), ${result.blobs} image(s)`,
        `now using session ${short(result.sessionId)}`,
      ],
    };
  },
};
