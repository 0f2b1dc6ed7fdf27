import sharp from 'sharp';
import { boxMean } from './boxMean.js';
import { comparePixels, EDITED_DELTA_E } from './measureDrift.js';
import { decodeRgb, measureSize, sizeOfImage } from './pixels.js';

/** Specks of changed pixels smaller than this share of a 3×3 block are noise (JPEG, dither), not an edit. */
const MIN_SPECK = 3 / 9;
/** The mask is grown by this many pixels (at the measuring size), so anti-aliased edges of an edit stay whole. */
const GROW_RADIUS = 4;
/** Feather of the grown mask's edge, in pixels at the measuring size: it falls outside the edit, not across it. */
const FEATHER_SIGMA = 2;

/**
 * The output with the parent's pixels put back wherever the edit did not change the picture:
 * the mask is where the ΔE between them passes EDITED_DELTA_E, cleaned of specks, grown by a
 * few pixels, feathered and scaled up to the output's size. A round trip's
 * drift outside the edit then cannot build up over turns. The parent is stretched onto the
 * output's size when the two differ. Encoded as `contentType` (PNG, or JPEG at quality 95).
 *
 * @example
 * const { bytes, editedFraction } = await preserveRegions(parentBytes, outputBytes, 'image/jpeg');
 */
export async function preserveRegions(parent: Buffer, output: Buffer, contentType: string): Promise<{ bytes: Buffer; editedFraction: number }> {
  const size = await sizeOfImage(output);
  const work = measureSize(size);
  const [a, b] = await Promise.all([decodeRgb(parent, work), decodeRgb(output, work)]);
  const { width: w, height: h } = work;
  const { deltaEMap } = comparePixels(a, b);
  const changed = deltaEMap.map((d) => (d > EDITED_DELTA_E ? 1 : 0));
  const cleaned = boxMean(changed, w, h, 1).map((share) => (share >= MIN_SPECK ? 1 : 0));
  const grown = boxMean(cleaned, w, h, GROW_RADIUS);
  const mask = Buffer.alloc(w * h);
  let edited = 0;
  for (let p = 0; p < mask.length; p++) {
    if (grown[p]! > 0) {
      mask[p] = 255;
      edited++;
    }
  }
  // The blend itself is libvips': the output, with the feathered mask as its alpha, laid over the parent.
  // libvips hands a blurred one-band image back as sRGB (three bands); the alpha must stay one.
  const alpha = await sharp(mask, { raw: { width: w, height: h, channels: 1 } })
    .blur(FEATHER_SIGMA)
    .resize(size.width, size.height, { fit: 'fill' })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const rgb = await decodeRgb(output, size);
  const overlay = await sharp(rgb.data, { raw: { width: size.width, height: size.height, channels: 3 } }).joinChannel(alpha, { raw: { width: size.width, height: size.height, channels: 1 } }).raw().toBuffer();
  const image = sharp(parent)
    .autoOrient()
    .resize(size.width, size.height, { fit: 'fill' })
    .flatten({ background: '#ffffff' })
    .composite([{ input: overlay, raw: { width: size.width, height: size.height, channels: 4 } }]);
  const bytes = await (contentType === 'image/png' ? image.png() : image.jpeg({ quality: 95 })).toBuffer();
  return { bytes, editedFraction: edited / mask.length };
}
