import { boxMean } from './boxMean.js';
import { labOf } from './lab.js';
import { decodeRgb, measureSize, sizeOfImage, type RgbImage } from './pixels.js';
import type { DriftFigures } from './types.js';

/**
 * A pixel counts as edited when the mean ΔE of its neighbourhood passes this: well above the
 * few units of a round trip's colour drift, well below what a recolour or a drawn object does.
 */
export const EDITED_DELTA_E = 12;
/** Radius of the neighbourhood the edit mask is smoothed over (at the measuring size). */
const MASK_RADIUS = 4;
/** Radius of the SSIM window: 7×7, the usual size at this scale. */
const SSIM_RADIUS = 3;
/** SSIM's stabilising constants for 8-bit values (Wang et al. 2004: K1 = 0.01, K2 = 0.03). */
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
/** Below this share of untouched picture the edit changed everything, and the figures cover the whole picture. */
const MIN_UNEDITED = 0.05;

export interface PixelComparison {
  ssim: number;
  deltaE: number;
  editedFraction: number;
  /** Per pixel, the ΔE between the two images (at the compared size). */
  deltaEMap: Float32Array;
}

/**
 * Drift of `image` from `reference`: SSIM of luminance and mean ΔE (CIE76) over the area the
 * edit left alone, measured at {@link MEASURE_LONG_SIDE} with `image` stretched onto the
 * reference's shape. Sizes are reported as they are.
 *
 * @example
 * const drift = await measureDrift(parentBytes, outputBytes); // { ssim: 0.97, deltaE: 1.8, editedFraction: 0.1, … }
 */
export async function measureDrift(reference: Buffer, image: Buffer): Promise<DriftFigures> {
  const [from, to] = await Promise.all([sizeOfImage(reference), sizeOfImage(image)]);
  const size = measureSize(from);
  const [a, b] = await Promise.all([decodeRgb(reference, size), decodeRgb(image, size)]);
  const { ssim, deltaE, editedFraction } = comparePixels(a, b);
  return { ssim, deltaE, editedFraction, from, to };
}

/** Compares two RGB images of the same size, pixel for pixel. */
export function comparePixels(a: RgbImage, b: RgbImage): PixelComparison {
  const { width: w, height: h } = a;
  if (b.width !== w || b.height !== h) throw new Error(`cannot compare ${w}×${h} with ${b.width}×${b.height}`);
  const n = w * h;
  const labA = labOf(a.data);
  const labB = labOf(b.data);
  const deltaE = new Float32Array(n);
  const ya = new Float32Array(n);
  const yb = new Float32Array(n);
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    const dl = labA[i]! - labB[i]!;
    const da = labA[i + 1]! - labB[i + 1]!;
    const db = labA[i + 2]! - labB[i + 2]!;
    deltaE[p] = Math.sqrt(dl * dl + da * da + db * db);
    // Rec. 601 luma, on the 0–255 scale the SSIM constants assume.
    ya[p] = 0.299 * a.data[i]! + 0.587 * a.data[i + 1]! + 0.114 * a.data[i + 2]!;
    yb[p] = 0.299 * b.data[i]! + 0.587 * b.data[i + 1]! + 0.114 * b.data[i + 2]!;
  }
  const smoothedDeltaE = boxMean(deltaE, w, h, MASK_RADIUS);
  const ssimMap = ssimOf(ya, yb, w, h);

  let kept = 0;
  let ssimSum = 0;
  let deltaSum = 0;
  for (let p = 0; p < n; p++) {
    if (smoothedDeltaE[p]! > EDITED_DELTA_E) continue;
    kept++;
    ssimSum += ssimMap[p]!;
    deltaSum += deltaE[p]!;
  }
  const editedFraction = 1 - kept / n;
  if (kept < MIN_UNEDITED * n) {
    ssimSum = 0;
    deltaSum = 0;
    for (let p = 0; p < n; p++) {
      ssimSum += ssimMap[p]!;
      deltaSum += deltaE[p]!;
    }
    kept = n;
  }
  return { ssim: ssimSum / kept, deltaE: deltaSum / kept, editedFraction, deltaEMap: deltaE };
}

/** The SSIM of every pixel's window (Wang et al. 2004, with a flat window). */
function ssimOf(ya: Float32Array, yb: Float32Array, w: number, h: number): Float64Array {
  const n = w * h;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    aa[p] = ya[p]! * ya[p]!;
    bb[p] = yb[p]! * yb[p]!;
    ab[p] = ya[p]! * yb[p]!;
  }
  const ma = boxMean(ya, w, h, SSIM_RADIUS);
  const mb = boxMean(yb, w, h, SSIM_RADIUS);
  const maa = boxMean(aa, w, h, SSIM_RADIUS);
  const mbb = boxMean(bb, w, h, SSIM_RADIUS);
  const mab = boxMean(ab, w, h, SSIM_RADIUS);
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const mx = ma[p]!;
    const my = mb[p]!;
    const vx = Math.max(0, maa[p]! - mx * mx);
    const vy = Math.max(0, mbb[p]! - my * my);
    const cov = mab[p]! - mx * my;
    out[p] = ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
  }
  return out;
}
