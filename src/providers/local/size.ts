import type { ASPECT_RATIOS } from '../../kontext/schemas.js';

export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Longest side of a simulated image: about the megapixel Kontext works at. */
export const DEFAULT_MAX_SIDE = 1024;

export interface Size {
  width: number;
  height: number;
}

/**
 * The size of an edit's output for an input of `input` pixels (already turned the way the
 * edit turns it). Without an aspect ratio the input's shape is kept; with one, the largest
 * centred crop of that ratio is taken. Either way the long side is brought down to
 * `maxSide`, never up — a small input stays small rather than being blown up into blur.
 *
 * @example
 * outputSize({ width: 2048, height: 1536 }, undefined, 1024); // { width: 1024, height: 768 }
 * outputSize({ width: 1024, height: 1024 }, '16:9', 1024);    // { width: 1024, height: 576 }
 */
export function outputSize(input: Size, aspectRatio: AspectRatio | undefined, maxSide = DEFAULT_MAX_SIDE): Size {
  let { width, height } = input;
  if (aspectRatio) {
    const ratio = ratioOf(aspectRatio);
    if (width / height > ratio) width = height * ratio;
    else height = width / ratio;
  }
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The size of a text-to-image picture: `maxSide` on the long side, the other by the ratio. */
export function canvasSize(aspectRatio: AspectRatio, maxSide = DEFAULT_MAX_SIDE): Size {
  const ratio = ratioOf(aspectRatio);
  return ratio >= 1
    ? { width: maxSide, height: Math.max(1, Math.round(maxSide / ratio)) }
    : { width: Math.max(1, Math.round(maxSide * ratio)), height: maxSide };
}

/** Width over height, e.g. `16:9` → 1.777…. */
export function ratioOf(aspectRatio: AspectRatio): number {
  const [w, h] = aspectRatio.split(':').map(Number) as [number, number];
  return w / h;
}
