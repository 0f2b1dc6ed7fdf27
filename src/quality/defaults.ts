import type { QualitySettings } from './types.js';

export const DEFAULT_WARN_SSIM_BELOW = 0.9;
export const DEFAULT_WARN_DELTA_E_ABOVE = 5;

/** Settings with every default filled in (kept apart from the zod schema: `kontext log` loads this, not zod). */
export function resolveQuality(settings: QualitySettings | null | undefined): Required<QualitySettings> {
  return {
    pinAspect: settings?.pinAspect ?? true,
    resizeToSource: settings?.resizeToSource ?? false,
    preserveRegions: settings?.preserveRegions ?? false,
    warnSsimBelow: settings?.warnSsimBelow ?? DEFAULT_WARN_SSIM_BELOW,
    warnDeltaEAbove: settings?.warnDeltaEAbove ?? DEFAULT_WARN_DELTA_E_ABOVE,
  };
}
