import sharp from 'sharp';
import type { ImageSize } from './types.js';

/**
 * Drift is measured on pictures brought down to this long side: enough to see colour and
 * structure change, little enough to measure a 1024×1024 turn in a few tens of milliseconds,
 * and coarse enough that JPEG block noise does not read as structure.
 */
export const MEASURE_LONG_SIDE = 512;

/** An image as sRGB bytes, three a pixel, at the size it was decoded to. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** The size an image of `size` is measured at. */
export function measureSize(size: ImageSize, longSide = MEASURE_LONG_SIDE): ImageSize {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

/** Decodes `bytes` to RGB, stretched to exactly `size` (so two images line up pixel for pixel). */
export async function decodeRgb(bytes: Buffer, size: ImageSize): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .autoOrient()
    .resize(size.width, size.height, { fit: 'fill' })
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** An image's size as it stands (EXIF orientation applied). */
export async function sizeOfImage(bytes: Buffer): Promise<ImageSize> {
  const meta = await sharp(bytes).metadata();
  return { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0 };
}
