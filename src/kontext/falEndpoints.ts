import { z } from 'zod';
import { FLUX2_SIZES } from './capabilities.js';
import type { EndpointSpec } from './endpoints.js';
import { imageUrlList } from './imageSchemas.js';
import { ASPECT_RATIOS, KontextImage, KontextParams, MAX_PROMPT_LENGTH, MAX_SEED, OutputFormat } from './schemas.js';

/**
 * fal's endpoints that take several images in one list, `image_urls` (the chained image first,
 * then the references), sent to fal as is: FLUX.1 Kontext [max] multi and the FLUX.2 edits.
 *
 * Sources, checked where marked: fal's model pages (fal.ai/models/<id>) for the ids and
 * fields; prices from fal's pricing as listed there. UNVERIFIED: how many images each takes
 * (fal documents no maximum for Kontext multi; 4 is assumed) and the FLUX.2 [flex] and [dev]
 * per-megapixel rates — override with `EndpointRegistry.withPrices` once confirmed.
 */

export const FAL_KONTEXT_MAX_MULTI = 'fal-ai/flux-pro/kontext/max/multi';
export const FAL_FLUX2_PRO_EDIT = 'fal-ai/flux-2-pro/edit';
export const FAL_FLUX2_FLEX_EDIT = 'fal-ai/flux-2-flex/edit';
export const FAL_FLUX2_DEV_EDIT = 'fal-ai/flux-2/edit';

const prompt = z.string().trim().min(1).max(MAX_PROMPT_LENGTH);
/** fal's FLUX.2 takes a named size or an exact one; `auto` keeps the input's. */
const FAL_IMAGE_SIZES = { square_hd: [1024, 1024], square: [512, 512], portrait_4_3: [768, 1024], portrait_16_9: [576, 1024], landscape_4_3: [1024, 768], landscape_16_9: [1024, 576] } as const;
const side = z.int().min(FLUX2_SIZES.min).max(FLUX2_SIZES.max);
const imageSize = z.union([z.enum([...(Object.keys(FAL_IMAGE_SIZES) as (keyof typeof FAL_IMAGE_SIZES)[]), 'auto']), z.object({ width: side, height: side }).strict()]);

/** fal's FLUX.2 answer: images and the seed, without Kontext's timings or NSFW flags (filled in empty). */
const Flux2Output = z
  .object({
    images: z.array(KontextImage).min(1),
    seed: z.number().int(),
    timings: z.record(z.string(), z.number()).default({}),
    has_nsfw_concepts: z.array(z.boolean()).default([]),
    prompt: z.string().default(''),
  })
  .loose();

const MEGAPIXEL = 1024 * 1024;

/**
 * fal bills FLUX.2 per started megapixel, of the output and of each input image. The output's
 * size is `image_size` (an exact size, or a named one); `auto` and none are counted as one
 * megapixel, as are the input images (the engine's chained images are about that size).
 */
function falFlux2Price(firstMicros: number, extraMicros: number) {
  return (params: Record<string, unknown>, images: { references: number }): number => {
    const size = params.image_size;
    const [width, height] =
      typeof size === 'object' && size !== null ? [(size as { width: number }).width, (size as { height: number }).height] : typeof size === 'string' && size in FAL_IMAGE_SIZES ? FAL_IMAGE_SIZES[size as keyof typeof FAL_IMAGE_SIZES] : [1024, 1024];
    const megapixels = Math.max(1, Math.ceil((width * height) / MEGAPIXEL)) + 1 + images.references;
    return firstMicros + extraMicros * (megapixels - 1);
  };
}

const flux2Common = {
  prompt,
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
  image_size: imageSize.optional(),
  output_format: OutputFormat.default('jpeg'),
  sync_mode: z.boolean().default(false),
  enable_safety_checker: z.boolean().default(true),
};
const flux2Safety = { safety_tolerance: z.enum(['1', '2', '3', '4', '5']).default('2') };
const FLUX2_CAPABILITIES = { aspectRatios: [], sizes: FLUX2_SIZES, seed: true } as const;

const FLUX2_PRO_MAX_REFERENCES = 8;
const FLUX2_DEV_MAX_REFERENCES = 3;
const KONTEXT_MULTI_MAX_REFERENCES = 3;

export const FAL_MULTI_IMAGE_ENDPOINTS: readonly EndpointSpec[] = [
  {
    id: FAL_KONTEXT_MAX_MULTI,
    kind: 'edit',
    provider: 'fal',
    title: 'FLUX.1 Kontext [max] multi (reference images)',
    input: KontextParams.extend({ prompt, image_urls: imageUrlList(KONTEXT_MULTI_MAX_REFERENCES) }).strict(),
    output: Flux2Output,
    priceMicrosPerImage: 80_000,
    imageLayout: 'image_urls',
    capabilities: { maxReferences: KONTEXT_MULTI_MAX_REFERENCES, aspectRatios: ASPECT_RATIOS, sizes: null, seed: true },
  },
  {
    id: FAL_FLUX2_PRO_EDIT,
    kind: 'edit',
    provider: 'fal',
    title: 'FLUX.2 [pro] edit',
    input: z.object({ ...flux2Common, ...flux2Safety, image_urls: imageUrlList(FLUX2_PRO_MAX_REFERENCES) }).strict(),
    output: Flux2Output,
    // $0.03 the first megapixel, $0.015 each further one (fal's FLUX.2 [pro] page).
    priceMicrosPerImage: 45_000,
    priceMicros: falFlux2Price(30_000, 15_000),
    imageLayout: 'image_urls',
    capabilities: { ...FLUX2_CAPABILITIES, maxReferences: FLUX2_PRO_MAX_REFERENCES },
  },
  {
    id: FAL_FLUX2_FLEX_EDIT,
    kind: 'edit',
    provider: 'fal',
    title: 'FLUX.2 [flex] edit',
    input: z
      .object({
        ...flux2Common,
        ...flux2Safety,
        image_urls: imageUrlList(FLUX2_PRO_MAX_REFERENCES),
        guidance_scale: z.number().min(1.5).max(10).default(3.5),
        num_inference_steps: z.int().min(2).max(50).default(28),
      })
      .strict(),
    output: Flux2Output,
    // UNVERIFIED: $0.06 per megapixel, first and further alike.
    priceMicrosPerImage: 120_000,
    priceMicros: falFlux2Price(60_000, 60_000),
    imageLayout: 'image_urls',
    capabilities: { ...FLUX2_CAPABILITIES, maxReferences: FLUX2_PRO_MAX_REFERENCES },
  },
  {
    id: FAL_FLUX2_DEV_EDIT,
    kind: 'edit',
    provider: 'fal',
    title: 'FLUX.2 [dev] edit',
    input: z
      .object({
        ...flux2Common,
        image_urls: imageUrlList(FLUX2_DEV_MAX_REFERENCES),
        guidance_scale: z.number().min(0).max(20).default(2.5),
        num_inference_steps: z.int().min(4).max(50).default(28),
        num_images: z.int().min(1).max(4).default(1),
      })
      .strict(),
    output: Flux2Output,
    // UNVERIFIED: $0.012 per megapixel.
    priceMicrosPerImage: 24_000,
    priceMicros: falFlux2Price(12_000, 12_000),
    imageLayout: 'image_urls',
    capabilities: { ...FLUX2_CAPABILITIES, maxReferences: FLUX2_DEV_MAX_REFERENCES },
  },
];
