import sharp from 'sharp';

export interface Fidelity {
  /** Mean absolute difference of RGB samples, 0 (identical pixels) to 1 (black vs white). */
  meanAbsDiff: number;
  /** The two files are byte-identical. */
  identical: boolean;
}

/**
 * How far a replayed image is from the original: both are decoded to RGB at the original's
 * size (the new one resized if the model changed it) and compared sample by sample.
 */
export async function pixelDifference(original: Buffer, replayed: Buffer): Promise<Fidelity> {
  if (original.equals(replayed)) return { meanAbsDiff: 0, identical: true };
  const a = await sharp(original).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const b = await sharp(replayed).removeAlpha().resize(a.info.width, a.info.height, { fit: 'fill' }).raw().toBuffer();
  let sum = 0;
  const n = Math.min(a.data.length, b.length);
  for (let i = 0; i < n; i++) sum += Math.abs(a.data[i]! - b[i]!);
  return { meanAbsDiff: n === 0 ? 0 : sum / n / 255, identical: false };
}
