import { z } from 'zod';

/** A session's edit-quality settings as a request gives them; every field optional. */
export const QualitySettingsSchema = z
  .object({
    pinAspect: z.boolean().optional(),
    resizeToSource: z.boolean().optional(),
    preserveRegions: z.boolean().optional(),
    warnSsimBelow: z.number().min(0).max(1).optional(),
    warnDeltaEAbove: z.number().min(0).max(200).optional(),
  })
  .strict();
