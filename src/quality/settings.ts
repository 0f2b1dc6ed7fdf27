import { z } from 'zod';
import type { QualitySettings } from './types.js';

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

export const DEFAULT_WARN_SSIM_BELOW = 0.9;
export const DEFAULT_WARN_DELTA_E_ABOVE = 5;

/** Settings with every default filled in. */
export function resolveQuality(settings: QualitySettings | null | undefined): Required<QualitySettings> {
  return {
    pinAspect: settings?.pinAspect ?? true,
    resizeToSource: settings?.resizeToSource ?? false,
    preserveRegions: settings?.preserveRegions ?? false,
    warnSsimBelow: settings?.warnSsimBelow ?? DEFAULT_WARN_SSIM_BELOW,
    warnDeltaEAbove: settings?.warnDeltaEAbove ?? DEFAULT_WARN_DELTA_E_ABOVE,
  };
}
