/**
 * Convolution kernels of the simulator. Sharp applies one `convolve` per pipeline, so two
 * filters asked for together are merged into one kernel (the convolution of the two).
 */

/** A square kernel of odd size with an offset added after it (sharp's `convolve` with scale 1). */
export interface Kernel {
  size: number;
  /** Row-major weights, `size * size` of them. */
  weights: number[];
  offset: number;
}

/**
 * Pencil lines: keeps a faded copy of the image (`0.4 · in`), darkens on one side of every edge
 * (a negative Laplacian), and lifts the whole towards paper white.
 */
export function sketchKernel(strength: number): Kernel {
  const edge = 1.6 * strength;
  return { size: 3, weights: [-edge, -edge, -edge, -edge, 0.4 + 8 * edge, -edge, -edge, -edge, -edge], offset: 150 };
}

/** Unsharp-like sharpening whose weights sum to 1, so flat areas keep their value. */
export function sharpenKernel(strength: number): Kernel {
  const s = 0.9 * strength;
  return { size: 3, weights: [0, -s, 0, -s, 1 + 4 * s, -s, 0, -s, 0], offset: 0 };
}

/**
 * The kernel that does `first` then `second`: the full convolution of the weights, and the
 * first offset carried through the second (which multiplies it by the second's weight sum).
 */
export function combine(first: Kernel, second: Kernel): Kernel {
  const size = first.size + second.size - 1;
  const weights = new Array<number>(size * size).fill(0);
  for (let ay = 0; ay < first.size; ay++) {
    for (let ax = 0; ax < first.size; ax++) {
      const a = first.weights[ay * first.size + ax]!;
      for (let by = 0; by < second.size; by++) {
        for (let bx = 0; bx < second.size; bx++) weights[(ay + by) * size + ax + bx]! += a * second.weights[by * second.size + bx]!;
      }
    }
  }
  const secondSum = second.weights.reduce((sum, w) => sum + w, 0);
  return { size, weights, offset: first.offset * secondSum + second.offset };
}
