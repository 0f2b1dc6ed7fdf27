/** sRGB byte → linear light, by the sRGB transfer function (IEC 61966-2-1), as a table. */
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

// D65 white, the reference white of sRGB.
const XN = 0.95047;
const YN = 1;
const ZN = 1.08883;

const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);

/**
 * CIELAB of an sRGB colour (D65).
 *
 * @example
 * srgbToLab(255, 255, 255); // [100, 0, 0] (to rounding)
 */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const lr = LINEAR[r]!;
  const lg = LINEAR[g]!;
  const lb = LINEAR[b]!;
  const x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / XN;
  const y = (0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb) / YN;
  const z = (0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / ZN;
  const fy = f(y);
  return [116 * fy - 16, 500 * (f(x) - fy), 200 * (fy - f(z))];
}

/** Lab of every pixel of an RGB buffer, three floats a pixel. */
export function labOf(rgb: Buffer): Float32Array {
  const lab = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const lr = LINEAR[rgb[i]!]!;
    const lg = LINEAR[rgb[i + 1]!]!;
    const lb = LINEAR[rgb[i + 2]!]!;
    const fx = f((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / XN);
    const fy = f((0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb) / YN);
    const fz = f((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / ZN);
    lab[i] = 116 * fy - 16;
    lab[i + 1] = 500 * (fx - fy);
    lab[i + 2] = 200 * (fy - fz);
  }
  return lab;
}
