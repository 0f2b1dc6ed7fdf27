import { describe, expect, it } from 'vitest';
import { combine, sharpenKernel, sketchKernel, type Kernel } from '../../../src/providers/local/kernels.js';
import { outputSize, canvasSize } from '../../../src/providers/local/size.js';

const IDENTITY: Kernel = { size: 3, weights: [0, 0, 0, 0, 1, 0, 0, 0, 0], offset: 0 };

/** The value a kernel gives at the origin of `image` (as sharp applies it: weights times neighbours, plus the offset). */
function at(kernel: Kernel, image: (x: number, y: number) => number): number {
  const half = (kernel.size - 1) / 2;
  let sum = kernel.offset;
  for (let y = 0; y < kernel.size; y++) for (let x = 0; x < kernel.size; x++) sum += kernel.weights[y * kernel.size + x]! * image(x - half, y - half);
  return sum;
}

describe('combine', () => {
  it('with the identity changes nothing but the size', () => {
    const sketch = sketchKernel(1);
    const merged = combine(IDENTITY, sketch);
    const step = (x: number) => (x < 0 ? 40 : 200);
    expect(at(merged, step)).toBeCloseTo(at(sketch, step));
    expect(merged.offset).toBe(sketch.offset);
  });

  it('does the first kernel, then the second, offsets included', () => {
    const first = sharpenKernel(1);
    const second = sketchKernel(1);
    const image = (x: number, y: number) => 100 + 30 * x + 7 * y * y;
    const twice = at(second, (x, y) => at(first, (u, v) => image(x + u, y + v)));
    expect(at(combine(first, second), image)).toBeCloseTo(twice, 6);
  });
});

describe('sizes', () => {
  it('keeps the shape, crops to a ratio, and never scales up', () => {
    expect(outputSize({ width: 640, height: 480 }, undefined, 1024)).toEqual({ width: 640, height: 480 });
    expect(outputSize({ width: 4000, height: 3000 }, undefined, 1024)).toEqual({ width: 1024, height: 768 });
    expect(outputSize({ width: 640, height: 480 }, '16:9', 1024)).toEqual({ width: 640, height: 360 });
    expect(outputSize({ width: 640, height: 480 }, '9:21', 1024)).toEqual({ width: 206, height: 480 });
    expect(outputSize({ width: 1, height: 1 }, '21:9', 1024)).toEqual({ width: 1, height: 1 });
  });

  it('text-to-image pictures are 1024 on the long side', () => {
    expect(canvasSize('1:1')).toEqual({ width: 1024, height: 1024 });
    expect(canvasSize('16:9')).toEqual({ width: 1024, height: 576 });
    expect(canvasSize('2:3')).toEqual({ width: 683, height: 1024 });
  });
});
