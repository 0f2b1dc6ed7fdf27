import { ASPECT_RATIOS } from '../kontext/schemas.js';
import type { ImageSize } from './types.js';

export type AllowedAspectRatio = (typeof ASPECT_RATIOS)[number];

// Ratios compare on a log scale, so 2:1 is as far from 1:1 as 1:2 is.
const distance = (a: number, b: number) => Math.abs(Math.log(a / b));

const ratioOf = (ratio: string) => {
  const [w, h] = ratio.split(':').map(Number) as [number, number];
  return w / h;
};

/**
 * The allowed `aspect_ratio` nearest to an image's shape.
 *
 * @example
 * nearestAspectRatio({ width: 1200, height: 800 }); // '3:2'
 */
export function nearestAspectRatio(size: ImageSize): AllowedAspectRatio {
  const ratio = size.width / size.height;
  let best: AllowedAspectRatio = '1:1';
  for (const candidate of ASPECT_RATIOS) if (distance(ratioOf(candidate), ratio) < distance(ratioOf(best), ratio)) best = candidate;
  return best;
}

/** The (width, height) in `resolutions` whose shape is nearest to `ratio` (width / height), as Kontext picks it. */
export function nearestResolution(ratio: number, resolutions: readonly (readonly [number, number])[]): ImageSize {
  let best = resolutions[0]!;
  for (const r of resolutions) if (distance(r[0] / r[1], ratio) < distance(best[0] / best[1], ratio)) best = r;
  return { width: best[0], height: best[1] };
}

/** Whether two sizes have the same shape, within the rounding of a pixel on the short side. */
export function sameShape(a: ImageSize, b: ImageSize): boolean {
  const tolerance = 1 / Math.min(a.width, a.height, b.width, b.height);
  return distance(a.width / a.height, b.width / b.height) <= tolerance;
}
