import sharp from 'sharp';
import { ValidationError } from '../../errors/ValidationError.js';
import { chain, gains, hueRotate, saturate, tint, type Matrix3 } from './colourMatrix.js';
import { TINT_COLOURS, type Intent } from './intents.js';
import { combine, sharpenKernel, sketchKernel, type Kernel } from './kernels.js';
import { captionOverlay, labelOverlay, snowOverlay, textOverlay, type Overlay } from './overlays.js';
import { between, mixSeed, mulberry32, type Prng } from './prng.js';
import { nearestResolution } from '../../quality/aspect.js';
import { outputSize, ratioOf, type AspectRatio, type Size } from './size.js';

export interface RenderRequest {
  /** Encoded image bytes: anything sharp reads (SVG included, for text-to-image). */
  source: Buffer;
  intents: readonly Intent[];
  /** The seed of this candidate. */
  seed: number;
  /** Steers the seeded variation together with the seed, so two prompts never coincide. */
  prompt: string;
  outputFormat: 'jpeg' | 'png';
  /** Crop to this ratio; without it the input's shape is kept. */
  aspectRatio?: AspectRatio | undefined;
  maxSide: number;
  /** Snap the output to the one of these nearest its shape (Kontext's preferred resolutions). */
  snapTo?: readonly (readonly [number, number])[] | undefined;
  /** How hard the edits push: 1 at the default guidance scale. */
  strength: number;
  /** Drawn in the top-right corner of every image. */
  label: string;
  /** Also written into the file's EXIF ImageDescription (ASCII). */
  notice: string;
  /** Draw the prompt along the bottom (when no edit was recognised, and for text-to-image). */
  caption: boolean;
  /** Refuse inputs of more pixels than this (decompression bombs). */
  maxInputPixels: number;
  /**
   * Reference images (encoded bytes), pasted as thumbnails along the bottom-left edge, in order:
   * a stand-in for "use this" that a test can see in the pixels.
   */
  references?: readonly Buffer[];
}

export interface RenderedImage {
  bytes: Buffer;
  width: number;
  height: number;
  contentType: 'image/jpeg' | 'image/png';
}

/** Guidance scale → strength of the simulated edits: 1 at fal's default 3.5, gently up and down. */
export function strengthOf(guidanceScale: number): number {
  return Math.min(1.8, Math.max(0.5, Math.sqrt(guidanceScale / 3.5)));
}

/**
 * Renders one simulated edit in a single sharp pipeline: orient, turn and mirror, crop and
 * scale, blur, one convolution, one colour matrix, the overlays, encode. Deterministic: the
 * same request gives the same bytes (with the same sharp and fonts).
 *
 * Sharp runs its operations in a fixed order whatever order they are called in (geometry,
 * blur, convolve, recomb, composite), which is the order a person would expect anyway:
 * colour changes do not tint the drawn text and label.
 *
 * @example
 * const image = await renderImage({ source, intents: parseIntents('make it red'), seed: 7, prompt: 'make it red',
 *   outputFormat: 'jpeg', maxSide: 1024, strength: 1, label: 'SIMULATED', notice: 'SIMULATED', caption: false,
 *   maxInputPixels: 50e6 });
 */
export async function renderImage(request: RenderRequest): Promise<RenderedImage> {
  const next = mulberry32(mixSeed(request.seed, request.prompt));
  const has = <K extends Intent['kind']>(kind: K) => request.intents.find((i): i is Extract<Intent, { kind: K }> => i.kind === kind);
  const s = request.strength;

  const inputSize = await sizeOf(request.source, request.maxInputPixels);
  const rotate = has('rotate');
  const turned = rotate && rotate.degrees !== 180 ? { width: inputSize.height, height: inputSize.width } : inputSize;
  const size = request.snapTo
    ? nearestResolution(request.aspectRatio ? ratioOf(request.aspectRatio) : turned.width / turned.height, request.snapTo)
    : outputSize(turned, request.aspectRatio, request.maxSide);

  let image = sharp(request.source, { limitInputPixels: request.maxInputPixels }).autoOrient();
  if (rotate) image = image.rotate(rotate.degrees);
  const flip = has('flip');
  if (flip?.axis === 'horizontal') image = image.flop();
  if (flip?.axis === 'vertical') image = image.flip();
  // `cover` is the centred crop to the ratio and the scale down in one step; sharp turns
  // and mirrors before it because rotate was called first.
  image = image.resize(size.width, size.height, { fit: 'cover', position: 'centre' });
  image = image.flatten({ background: '#ffffff' });

  if (has('blur')) image = image.blur(Math.max(0.8, (Math.max(size.width, size.height) / 160) * s));
  const kernel = kernelFor(request.intents, s);
  if (kernel) image = image.convolve({ width: kernel.size, height: kernel.size, kernel: kernel.weights, scale: 1, offset: kernel.offset });
  image = image.recomb(colourMatrix(request.intents, s, next));

  const overlays: Overlay[] = [];
  if (has('winter')) overlays.push(snowOverlay(size, next, s));
  const text = has('text');
  if (text) overlays.push(textOverlay(text.text, size));
  if (request.caption) overlays.push(captionOverlay(request.prompt, size));
  overlays.push(...(await referenceThumbnails(request.references ?? [], size, request.maxInputPixels)));
  overlays.push(labelOverlay(request.label, size));
  image = image.composite(overlays).removeAlpha();

  image = request.outputFormat === 'png' ? image.png() : image.jpeg({ quality: 90 });
  image = image.withExif({ IFD0: { ImageDescription: request.notice, Software: 'kontext-sessions local provider' } });
  const { data, info } = await image.toBuffer({ resolveWithObject: true });
  return { bytes: data, width: info.width, height: info.height, contentType: request.outputFormat === 'png' ? 'image/png' : 'image/jpeg' };
}

/** The share of the picture's shorter side a reference thumbnail takes. */
const THUMBNAIL_SHARE = 1 / 4;

/** Each reference as a square thumbnail, left to right along the bottom edge (as many as fit). */
async function referenceThumbnails(references: readonly Buffer[], size: Size, maxInputPixels: number): Promise<Overlay[]> {
  const side = Math.max(1, Math.floor(Math.min(size.width, size.height) * THUMBNAIL_SHARE));
  const fitting = references.slice(0, Math.floor(size.width / side));
  return Promise.all(
    fitting.map(async (reference, i) => {
      await sizeOf(reference, maxInputPixels, 'reference_image_urls');
      const input = await sharp(reference, { limitInputPixels: maxInputPixels }).autoOrient().resize(side, side, { fit: 'cover' }).flatten({ background: '#ffffff' }).png().toBuffer();
      return { input, left: i * side, top: size.height - side };
    }),
  );
}

/** The input's size as the picture stands (EXIF orientation applied); refuses what sharp cannot read. */
async function sizeOf(source: Buffer, maxInputPixels: number, field = 'image_url'): Promise<Size> {
  try {
    const meta = await sharp(source, { limitInputPixels: maxInputPixels }).metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!width || !height) throw new Error('no dimensions');
    if (width * height > maxInputPixels) throw new Error(`${width}×${height} is more than ${maxInputPixels} pixels`);
    return { width, height };
  } catch (error) {
    throw new ValidationError([{ field, message: `could not be read as an image (${(error as Error).message})` }]);
  }
}

function kernelFor(intents: readonly Intent[], strength: number): Kernel | undefined {
  const kinds = new Set(intents.map((i) => i.kind));
  const kernels: Kernel[] = [];
  if (kinds.has('sharpen')) kernels.push(sharpenKernel(strength));
  if (kinds.has('sketch')) kernels.push(sketchKernel(strength));
  return kernels.reduce<Kernel | undefined>((acc, k) => (acc ? combine(acc, k) : k), undefined);
}

/**
 * Every colour change as one matrix, applied in this order: the seeded variation, the colour
 * tint, winter, night or day, and grey last so that a sketch stays exactly grey.
 */
function colourMatrix(intents: readonly Intent[], s: number, next: Prng): Matrix3 {
  const steps: Matrix3[] = [variation(intents.length === 0, next)];
  for (const intent of intents) {
    if (intent.kind === 'tint') steps.push(tint(TINT_COLOURS[intent.colour], 0.5 * s));
  }
  const kinds = new Set(intents.map((i) => i.kind));
  if (kinds.has('winter')) steps.push(saturate(Math.max(0, 1 - 0.3 * s)), gains(1 - 0.08 * s, 1, 1 + 0.18 * s));
  // Night: darker, less saturated, and blue keeps more of its light than red does.
  if (kinds.has('night')) steps.push(saturate(Math.max(0, 1 - 0.45 * s)), gains(...floor(1 - 0.55 * s, 1 - 0.48 * s, 1 - 0.2 * s)));
  if (kinds.has('day')) steps.push(saturate(1 + 0.1 * s), gains(1 + 0.25 * s, 1 + 0.2 * s, 1 + 0.08 * s));
  if (kinds.has('sketch')) steps.push(saturate(0));
  return steps.length === 1 ? steps[0]! : chain(...steps);
}

/**
 * The seed's own mark on the picture. With an edit recognised it is slight (a few degrees of
 * hue, a few percent of light), so candidates differ without hiding the edit; with none it
 * is plainly visible, so a turn never comes back looking unchanged.
 */
function variation(plainlyVisible: boolean, next: Prng): Matrix3 {
  if (!plainlyVisible) {
    const light = between(next, 0.97, 1.03);
    return chain(hueRotate(between(next, -6, 6)), gains(light, light, light));
  }
  const sign = next() < 0.5 ? -1 : 1;
  const light = between(next, 0.9, 1.1);
  return chain(hueRotate(sign * between(next, 15, 35)), saturate(between(next, 0.85, 1.25)), gains(light, light, light));
}

function floor(...values: number[]): [number, number, number] {
  return values.map((v) => Math.max(0.05, v)) as [number, number, number];
}
