import { z } from 'zod';

/** Response documents of the quality data (OpenAPI and tests); shapes as in ./types.ts. */
const Size = z.object({ width: z.number().int(), height: z.number().int() });

export const TurnSizesJson = z
  .object({
    input: Size.nullable(),
    output: Size.nullable(),
    source: Size.nullable(),
    pinnedAspectRatio: z.string().nullable(),
    mismatch: z.boolean().meta({ description: 'The provider returned another shape than the source image.' }),
    resizedToSource: z.boolean(),
  })
  .meta({ id: 'TurnSizes' });

const DriftFiguresJson = z.object({
  ssim: z.number().meta({ description: 'SSIM of luminance outside the edited region; 1 is unchanged.' }),
  deltaE: z.number().meta({ description: 'Mean CIE76 ΔE outside the edited region; 0 is unchanged.' }),
  editedFraction: z.number(),
  from: Size,
  to: Size,
});

export const TurnDriftJson = z
  .object({ parent: DriftFiguresJson.nullable(), root: DriftFiguresJson.nullable() })
  .meta({ id: 'TurnDrift' });
