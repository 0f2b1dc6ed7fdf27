/**
 * 3×3 colour matrices (out = M · [r, g, b]). Every colour edit of the simulator is one of
 * these, multiplied into a single matrix so the image is touched by one `recomb` pass:
 * sharp's `modulate` converts to LCh and back and costs several times more.
 */

export type Matrix3 = [[number, number, number], [number, number, number], [number, number, number]];

/** Rec. 709 luma weights, as SVG's feColorMatrix uses them (rounded the same way). */
const LUMA = [0.213, 0.715, 0.072] as const;

export function identity(): Matrix3 {
  return [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
}

/** `a · b`: applies `b` first, then `a`. */
export function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const out = identity();
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r]![c] = a[r]![0] * b[0]![c]! + a[r]![1] * b[1]![c]! + a[r]![2] * b[2]![c]!;
  }
  return out;
}

/** Applies the matrices in the order given (the first one touches the pixels first). */
export function chain(...matrices: readonly Matrix3[]): Matrix3 {
  return matrices.reduce((acc, m) => multiply(m, acc), identity());
}

/** Per-channel gains. */
export function gains(r: number, g: number, b: number): Matrix3 {
  return [
    [r, 0, 0],
    [0, g, 0],
    [0, 0, b],
  ];
}

/** Saturation as feColorMatrix `saturate`: 0 is grey (every channel equal), 1 unchanged. Rows sum to 1, so greys stay grey. */
export function saturate(s: number): Matrix3 {
  const [wr, wg, wb] = LUMA;
  return [
    [wr + (1 - wr) * s, wg - wg * s, wb - wb * s],
    [wr - wr * s, wg + (1 - wg) * s, wb - wb * s],
    [wr - wr * s, wg - wg * s, wb + (1 - wb) * s],
  ];
}

/** Hue rotation by `degrees`, as feColorMatrix `hueRotate`; keeps luma and keeps greys grey. */
export function hueRotate(degrees: number): Matrix3 {
  const rad = (degrees * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  return [
    [0.213 + cos * 0.787 - sin * 0.213, 0.715 - cos * 0.715 - sin * 0.715, 0.072 - cos * 0.072 + sin * 0.928],
    [0.213 - cos * 0.213 + sin * 0.143, 0.715 + cos * 0.285 + sin * 0.14, 0.072 - cos * 0.072 - sin * 0.283],
    [0.213 - cos * 0.213 - sin * 0.787, 0.715 - cos * 0.715 + sin * 0.715, 0.072 + cos * 0.928 + sin * 0.072],
  ];
}

/**
 * Colourise: mixes each pixel with its luma carried in `rgb`, by `amount` (0..1). The colour is
 * scaled to luma 1 so a mid-grey pixel keeps roughly its brightness while taking the hue.
 */
export function tint(rgb: readonly [number, number, number], amount: number): Matrix3 {
  const luma = Math.max(1, LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2]);
  const k = Math.min(1, Math.max(0, amount));
  const out = identity();
  for (let r = 0; r < 3; r++) {
    const carry = rgb[r]! / luma;
    for (let c = 0; c < 3; c++) out[r]![c] = (r === c ? 1 - k : 0) + k * carry * LUMA[c]!;
  }
  return out;
}
