import { z } from 'zod';

/**
 * The FLUX.1 Kontext request and response, as fal documents them
 * (shared/reference/flux-pro-kontext-api.md). These schemas are the single source of truth:
 * the library call, the CLI flags, the HTTP body and the OpenAPI document all validate with them.
 */

import { ASPECT_RATIOS } from './aspectRatios.js';

export { ASPECT_RATIOS };
export const OUTPUT_FORMATS = ['jpeg', 'png'] as const;
/** fal takes these as strings, not numbers: `"2"` is valid, `2` is not. */
export const SAFETY_TOLERANCES = ['1', '2', '3', '4', '5', '6'] as const;
/** Seeds are unsigned 32-bit integers. */
export const MAX_SEED = 4_294_967_295;
/** fal sets no documented limit; a prompt beyond this is certainly a mistake (a pasted file). */
export const MAX_PROMPT_LENGTH = 10_000;

export const AspectRatio = z.enum(ASPECT_RATIOS);
export const OutputFormat = z.enum(OUTPUT_FORMATS);
export const SafetyTolerance = z.enum(SAFETY_TOLERANCES);

const prompt = z.string().trim().min(1).max(MAX_PROMPT_LENGTH).describe('The edit instruction, or for text-to-image the picture to make.');
const seed = z.number().int().min(0).max(MAX_SEED).describe('Same seed, prompt and image give the same result.');

/** Each param once, without its default: the full schema adds defaults, overrides add none. */
const paramFields = {
  seed,
  guidance_scale: z.number().min(1).max(20).describe('How closely to follow the prompt (CFG scale), 1 to 20.'),
  sync_mode: z.boolean().describe('Return media as data URIs instead of URLs.'),
  num_images: z.number().int().min(1).max(4).describe('Number of candidates, 1 to 4.'),
  output_format: OutputFormat,
  safety_tolerance: SafetyTolerance.describe('1 (strictest) to 6 (most permissive), as a string.'),
  enhance_prompt: z.boolean(),
  aspect_ratio: AspectRatio,
  steps: z.number().int().min(1).max(50).describe('Sampling steps (FLUX.2 [flex] only), 1 to 50.'),
  width: z.number().int().min(256).max(2048).multipleOf(16).describe('Output width in pixels (FLUX.2 only), a multiple of 16 from 256 to 2048.'),
  height: z.number().int().min(256).max(2048).multipleOf(16).describe('Output height in pixels (FLUX.2 only), a multiple of 16 from 256 to 2048.'),
};
/** The fields above for providers whose models take them; fal's Kontext refuses them. */
export const FLUX2_PARAM_FIELDS = { steps: paramFields.steps, width: paramFields.width, height: paramFields.height, guidance_scale: paramFields.guidance_scale } as const;

/** Everything but the prompt and image, with fal's defaults. */
export const KontextParams = z
  .object({
    seed: paramFields.seed.optional(),
    guidance_scale: paramFields.guidance_scale.default(3.5),
    sync_mode: paramFields.sync_mode.default(false),
    num_images: paramFields.num_images.default(1),
    output_format: paramFields.output_format.default('jpeg'),
    safety_tolerance: paramFields.safety_tolerance.default('2'),
    enhance_prompt: paramFields.enhance_prompt.default(false),
    aspect_ratio: paramFields.aspect_ratio.optional(),
  })
  .strict();
export type KontextParams = z.output<typeof KontextParams>;
export type KontextParamsInput = z.input<typeof KontextParams>;

/**
 * Partial params with NO defaults applied: what a session's defaults and a turn's overrides
 * set. (`KontextParams.partial()` would still fill in every default, silently replacing a
 * session's guidance_scale with 3.5 on every edit.)
 */
export const KontextParamsOverrides = z
  .object({
    seed: paramFields.seed.optional(),
    guidance_scale: paramFields.guidance_scale.optional(),
    sync_mode: paramFields.sync_mode.optional(),
    num_images: paramFields.num_images.optional(),
    output_format: paramFields.output_format.optional(),
    safety_tolerance: paramFields.safety_tolerance.optional(),
    enhance_prompt: paramFields.enhance_prompt.optional(),
    aspect_ratio: paramFields.aspect_ratio.optional(),
    steps: paramFields.steps.optional(),
    width: paramFields.width.optional(),
    height: paramFields.height.optional(),
  })
  .strict();
export type KontextParamsOverrides = z.input<typeof KontextParamsOverrides>;

export const KontextEditInput = KontextParams.extend({
  prompt,
  image_url: z.string().min(1).describe('The image to edit: an http(s) URL or a data URI.'),
}).strict();
export type KontextEditInput = z.output<typeof KontextEditInput>;

export const KontextTextToImageInput = KontextParams.extend({
  prompt,
  aspect_ratio: AspectRatio.default('1:1'),
}).strict();
export type KontextTextToImageInput = z.output<typeof KontextTextToImageInput>;

export const KontextImage = z
  .object({
    url: z.string().min(1),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    content_type: z.string().optional(),
  })
  .loose();
export type KontextImage = z.output<typeof KontextImage>;

export const KontextOutput = z
  .object({
    images: z.array(KontextImage).min(1),
    timings: z.record(z.string(), z.number()),
    seed: z.number().int(),
    has_nsfw_concepts: z.array(z.boolean()),
    prompt: z.string(),
  })
  .loose();
export type KontextOutput = z.output<typeof KontextOutput>;
