import { resolveQuality } from './defaults.js';
import type { DriftFigures, ImageSize, QualitySettings, TurnDrift, TurnSizes } from './types.js';

const size = (s: ImageSize | null) => (s ? `${s.width}×${s.height}` : '?');

/** Drift from the root in a few characters, for a log line: `drift SSIM 0.982 ΔE 1.4`. */
export function driftFigure(drift: TurnDrift | null | undefined): string | null {
  const figures = drift?.root ?? drift?.parent;
  return figures ? `drift SSIM ${figures.ssim.toFixed(3)} ΔE ${figures.deltaE.toFixed(1)}` : null;
}

/** One drift measurement in words: `SSIM 0.982, ΔE 1.4 outside the edit (12% edited), 900×600 → 1248×832`. */
export function driftText(figures: DriftFigures): string {
  const resized = figures.from.width !== figures.to.width || figures.from.height !== figures.to.height;
  return `SSIM ${figures.ssim.toFixed(3)}, ΔE ${figures.deltaE.toFixed(1)} outside the edit (${Math.round(figures.editedFraction * 100)}% edited)${resized ? `, ${size(figures.from)} → ${size(figures.to)}` : ''}`;
}

/** A turn's sizes in words, saying when the provider changed the picture's shape. */
export function sizesText(sizes: TurnSizes): string {
  let text = `${size(sizes.input)} → ${size(sizes.output)} (source ${size(sizes.source)}`;
  if (sizes.pinnedAspectRatio) text += `, sent aspect_ratio ${sizes.pinnedAspectRatio}`;
  text += ')';
  if (sizes.mismatch) text += sizes.resizedToSource ? '; the provider returned another shape, resized back to the source size' : '; the provider returned another shape than the source';
  return text;
}

/**
 * The session-level warning for a turn whose drift from the root has passed the session's
 * thresholds, or null. Drift from the root is drift along the whole path to the turn.
 */
export function driftWarning(drift: TurnDrift | null | undefined, settings: QualitySettings | null | undefined): string | null {
  const root = drift?.root;
  if (!root) return null;
  const { warnSsimBelow, warnDeltaEAbove } = resolveQuality(settings);
  const passed: string[] = [];
  if (root.ssim < warnSsimBelow) passed.push(`SSIM ${root.ssim.toFixed(3)} < ${warnSsimBelow}`);
  if (root.deltaE > warnDeltaEAbove) passed.push(`ΔE ${root.deltaE.toFixed(1)} > ${warnDeltaEAbove}`);
  return passed.length === 0 ? null : `drift from the source image has passed the session's threshold (${passed.join(', ')}); consider squashing or region-preserving edits`;
}
