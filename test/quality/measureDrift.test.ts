import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { srgbToLab } from '../../src/quality/lab.js';
import { measureDrift } from '../../src/quality/measureDrift.js';
import { sceneImage, solidImage } from '../providers/local/fixtures.js';

/** L* of an sRGB grey level, straight from the CIE and sRGB definitions (a and b are 0 for greys). */
function lightnessOfGrey(level: number): number {
  const c = level / 255;
  const y = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

describe('measureDrift', () => {
  it('an image against itself: SSIM 1, ΔE 0, nothing edited, same size', async () => {
    const scene = await sceneImage(320, 240);
    const drift = await measureDrift(scene, scene);
    expect(drift.ssim).toBeCloseTo(1, 6);
    expect(drift.deltaE).toBe(0);
    expect(drift.editedFraction).toBe(0);
    expect(drift.from).toEqual({ width: 320, height: 240 });
    expect(drift.to).toEqual({ width: 320, height: 240 });
  });

  it('a flat grey made lighter by 6 levels: ΔE is the difference of L*, SSIM the luminance term of its means', async () => {
    const before = await solidImage(64, 64, { r: 200, g: 200, b: 200 });
    const after = await solidImage(64, 64, { r: 206, g: 206, b: 206 });
    const drift = await measureDrift(before, after);
    expect(drift.deltaE).toBeCloseTo(lightnessOfGrey(206) - lightnessOfGrey(200), 3);
    // Flat windows have no variance, so SSIM is its luminance term alone (Wang et al. 2004, eq. 13).
    const c1 = (0.01 * 255) ** 2;
    expect(drift.ssim).toBeCloseTo((2 * 200 * 206 + c1) / (200 ** 2 + 206 ** 2 + c1), 4);
    expect(drift.editedFraction).toBe(0);
  });

  it('Lab of the sRGB primaries matches the published values', () => {
    const [l, a, b] = srgbToLab(255, 0, 0);
    expect(l).toBeCloseTo(53.24, 1);
    expect(a).toBeCloseTo(80.09, 1);
    expect(b).toBeCloseTo(67.2, 1);
    expect(srgbToLab(255, 255, 255)[0]).toBeCloseTo(100, 3);
  });

  it('a local edit is left out: the rest of the picture reads as unchanged, the edited share is about the square', async () => {
    const scene = await sceneImage(320, 240);
    const square = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    const edited = await sharp(scene).composite([{ input: square, left: 200, top: 170 }]).png().toBuffer();
    const drift = await measureDrift(scene, edited);
    const squareShare = (80 * 60) / (320 * 240);
    expect(drift.editedFraction).toBeGreaterThanOrEqual(squareShare);
    expect(drift.editedFraction).toBeLessThan(((80 + 10) * (60 + 10)) / (320 * 240));
    expect(drift.ssim).toBeGreaterThan(0.99);
    expect(drift.deltaE).toBeLessThan(0.5);
  });

  it('reports both sizes when the measured image has another size', async () => {
    const drift = await measureDrift(await sceneImage(320, 240), await sceneImage(300, 200));
    expect(drift.from).toEqual({ width: 320, height: 240 });
    expect(drift.to).toEqual({ width: 300, height: 200 });
  });
});
