import { z } from 'zod';
import { FLUX2_SIZES, type EndpointCapabilities } from './capabilities.js';
import type { EndpointSpec } from './endpoints.js';
import { referenceUrls } from './imageSchemas.js';
import { ASPECT_RATIOS, AspectRatio, FLUX2_PARAM_FIELDS, KontextOutput, MAX_PROMPT_LENGTH, OutputFormat, SafetyTolerance } from './schemas.js';

/**
 * Black Forest Labs' own API (api.bfl.ai), in the engine's request shape: the same field names
 * as fal's Kontext (`image_url`, `enhance_prompt`, `safety_tolerance` as a string), which the
 * BFL provider translates to BFL's (`input_image`, `prompt_upsampling`, a number). One schema
 * per model, so a field a model does not take (`steps` outside [flex]) is refused by name.
 */

export const BFL_KONTEXT_PRO = 'bfl/flux-kontext-pro';
export const BFL_KONTEXT_MAX = 'bfl/flux-kontext-max';
export const BFL_FLUX2_PRO = 'bfl/flux-2-pro';
export const BFL_FLUX2_MAX = 'bfl/flux-2-max';
export const BFL_FLUX2_FLEX = 'bfl/flux-2-flex';

const prompt = z.string().trim().min(1).max(MAX_PROMPT_LENGTH);
const common = {
  prompt,
  seed: z.number().int().min(0).max(4_294_967_295).optional(),
  aspect_ratio: AspectRatio.optional(),
  output_format: OutputFormat.default('jpeg'),
  safety_tolerance: SafetyTolerance.default('2'),
  enhance_prompt: z.boolean().default(false),
  // BFL returns one image per request; the field is accepted so session defaults carry over.
  num_images: z.literal(1).default(1),
  sync_mode: z.boolean().optional(),
};
const image_url = z.string().min(1).describe('The image to edit: an http(s) URL or a data URI.');
const size = { width: FLUX2_PARAM_FIELDS.width.optional(), height: FLUX2_PARAM_FIELDS.height.optional() };

const kontextText = z.object(common).strict();
const flux2Text = z.object({ ...common, ...size }).strict();
const flexText = z.object({ ...common, ...size, steps: FLUX2_PARAM_FIELDS.steps.default(50), guidance_scale: z.number().min(1.5).max(10).default(4.5) }).strict();
const edit = <T extends z.ZodObject>(schema: T, maxReferences: number) => schema.extend({ image_url, reference_image_urls: referenceUrls(maxReferences) }).strict();

/** One megapixel as BFL counts it, 1024 × 1024. */
const MEGAPIXEL = 1024 * 1024;

/**
 * FLUX.2 is priced by megapixel: a rate for the first and one for each further started
 * megapixel, over the output and (for an edit) every input image — the chained one and each
 * reference — which this estimate counts as one megapixel each: the engine's chained images
 * are about that size, and BFL scales larger inputs down.
 */
export function flux2PriceMicros(firstMicros: number, extraMicros: number, kind: 'edit' | 'text-to-image') {
  return (params: Record<string, unknown>, images: { references: number } = { references: 0 }): number => {
    const width = typeof params.width === 'number' ? params.width : 1024;
    const height = typeof params.height === 'number' ? params.height : 1024;
    const megapixels = Math.max(1, Math.ceil((width * height) / MEGAPIXEL)) + (kind === 'edit' ? 1 + images.references : 0);
    return firstMicros + extraMicros * (megapixels - 1);
  };
}

interface Model {
  id: string;
  title: string;
  text: z.ZodObject;
  /** Per image ($0.04 = 40_000) or per megapixel (first, each further). */
  price: number | { first: number; extra: number };
  maxInFlight: number;
  /** References an edit takes beside `input_image`, as `input_image_2` onwards. */
  maxReferences: number;
  capabilities: Omit<EndpointCapabilities, 'maxReferences'>;
}

/** BFL's account limits: 24 jobs in flight, 6 of them for Kontext [max]. */
export const BFL_MAX_IN_FLIGHT = 24;

/**
 * Prices: BFL's pricing page (1 credit = $0.01): Kontext [pro] 4 credits and [max] 8 an image;
 * FLUX.2 per megapixel, first / each further: [pro] 3 / 1.5, [max] 7 / 3, [flex] 5 / 5.
 * References: FLUX.2 takes up to 8 input images (`input_image` … `input_image_8`), as BFL's
 * FLUX.2 docs say; Kontext's `input_image_2` … `input_image_4` is BFL's experimental
 * multi-reference — UNVERIFIED for [max].
 */
const KONTEXT: Omit<EndpointCapabilities, 'maxReferences'> = { aspectRatios: ASPECT_RATIOS, sizes: null, seed: true };
const FLUX2: Omit<EndpointCapabilities, 'maxReferences'> = { aspectRatios: ASPECT_RATIOS, sizes: FLUX2_SIZES, seed: true };

const MODELS: readonly Model[] = [
  { id: BFL_KONTEXT_PRO, title: 'FLUX.1 Kontext [pro] via BFL', text: kontextText, price: 40_000, maxInFlight: BFL_MAX_IN_FLIGHT, maxReferences: 3, capabilities: KONTEXT },
  { id: BFL_KONTEXT_MAX, title: 'FLUX.1 Kontext [max] via BFL', text: kontextText, price: 80_000, maxInFlight: 6, maxReferences: 3, capabilities: KONTEXT },
  { id: BFL_FLUX2_PRO, title: 'FLUX.2 [pro] via BFL', text: flux2Text, price: { first: 30_000, extra: 15_000 }, maxInFlight: BFL_MAX_IN_FLIGHT, maxReferences: 7, capabilities: FLUX2 },
  { id: BFL_FLUX2_MAX, title: 'FLUX.2 [max] via BFL', text: flux2Text, price: { first: 70_000, extra: 30_000 }, maxInFlight: BFL_MAX_IN_FLIGHT, maxReferences: 7, capabilities: FLUX2 },
  { id: BFL_FLUX2_FLEX, title: 'FLUX.2 [flex] via BFL', text: flexText, price: { first: 50_000, extra: 50_000 }, maxInFlight: BFL_MAX_IN_FLIGHT, maxReferences: 7, capabilities: FLUX2 },
];

function specsOf(model: Model): EndpointSpec[] {
  const priced = (kind: 'edit' | 'text-to-image') =>
    typeof model.price === 'number'
      ? { priceMicrosPerImage: model.price }
      : { priceMicrosPerImage: flux2PriceMicros(model.price.first, model.price.extra, kind)({}), priceMicros: flux2PriceMicros(model.price.first, model.price.extra, kind) };
  const shared = { provider: 'bfl', output: KontextOutput, maxInFlight: model.maxInFlight, providerModel: model.id.slice('bfl/'.length) };
  return [
    { ...shared, id: model.id, kind: 'edit', title: model.title, input: edit(model.text, model.maxReferences), ...priced('edit'), capabilities: { ...model.capabilities, maxReferences: model.maxReferences } },
    { ...shared, id: `${model.id}/text-to-image`, kind: 'text-to-image', title: `${model.title}, text-to-image`, input: model.text, ...priced('text-to-image'), capabilities: { ...model.capabilities, maxReferences: 0 } },
  ];
}

export const BFL_ENDPOINTS: readonly EndpointSpec[] = MODELS.flatMap(specsOf);
