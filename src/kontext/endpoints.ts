import type { z } from 'zod';
import { ValidationError } from '../errors/ValidationError.js';
import { BFL_ENDPOINTS } from './bflEndpoints.js';
import type { EndpointCapabilities } from './capabilities.js';
import { FAL_MULTI_IMAGE_ENDPOINTS } from './falEndpoints.js';
import type { ImageLayout } from './imageFields.js';
import { referenceUrls } from './imageSchemas.js';
import { REPLICATE_ENDPOINTS } from './replicateEndpoints.js';
import { ASPECT_RATIOS, KontextEditInput, KontextOutput, KontextTextToImageInput } from './schemas.js';

export type EndpointKind = 'edit' | 'text-to-image';

export interface EndpointSpec {
  id: string;
  kind: EndpointKind;
  /** Which provider runs it: `fal`, `bfl` or `local`. */
  provider: string;
  title: string;
  input: z.ZodType;
  output: z.ZodType;
  /** Price per produced image, in integer micro-dollars ($0.04 = 40_000). */
  priceMicrosPerImage: number;
  /**
   * The sizes the model works at, when it snaps inputs to a fixed list (Kontext does): an
   * output then comes back at one of these, whatever the input's shape.
   */
  preferredResolutions?: readonly (readonly [width: number, height: number])[];
  /** Whether the request takes an exact `width`/`height` (none of the Kontext endpoints do). */
  takesExactSize?: boolean;
  /**
   * The price of one request from its params and how many reference images go with it, where
   * it depends on them (FLUX.2: megapixels of the output and of every input image).
   */
  priceMicros?: (params: Record<string, unknown>, images: { references: number }) => number;
  /** Reference images, sizes, aspect ratios, seed. Default: Kontext's (no references). */
  capabilities?: EndpointCapabilities;
  /** Where the request carries its images. Default `image_url` (+ `reference_image_urls`). */
  imageLayout?: ImageLayout;
  /** The provider's limit on this model's jobs in flight at once (BFL: 6 for Kontext [max]). */
  maxInFlight?: number;
  /** The provider's own name of the model, where it differs from the id (`flux-kontext-pro`). */
  providerModel?: string;
}

/**
 * FLUX.1 Kontext's preferred (width, height) pairs, as diffusers' FluxKontextPipeline lists
 * them (PREFERRED_KONTEXT_RESOLUTIONS): about one megapixel, multiples of 16, 1:2.33 to 2.33:1.
 */
export const KONTEXT_PREFERRED_RESOLUTIONS: readonly (readonly [number, number])[] = [
  [672, 1568], [688, 1504], [720, 1456], [752, 1392], [800, 1328], [832, 1248], [880, 1184], [944, 1104],
  [1024, 1024],
  [1104, 944], [1184, 880], [1248, 832], [1328, 800], [1392, 752], [1456, 720], [1504, 688], [1568, 672],
];

export const FAL_KONTEXT_PRO = 'fal-ai/flux-pro/kontext';
export const FAL_KONTEXT_MAX = 'fal-ai/flux-pro/kontext/max';
export const FAL_KONTEXT_PRO_TEXT = 'fal-ai/flux-pro/kontext/text-to-image';
export const FAL_KONTEXT_MAX_TEXT = 'fal-ai/flux-pro/kontext/max/text-to-image';
export const LOCAL_KONTEXT_SIM = 'local/kontext-sim';
export const LOCAL_KONTEXT_SIM_TEXT = 'local/kontext-sim/text-to-image';
/** References the simulator takes (it pastes each into the picture, so tests can see them arrive). */
export const LOCAL_MAX_REFERENCES = 4;
const LocalEditInput = KontextEditInput.extend({ reference_image_urls: referenceUrls(LOCAL_MAX_REFERENCES) }).strict();

/** Prices as fal lists them (pro $0.04, max $0.08 per image); override with `EndpointRegistry.withPrices`. */
export const DEFAULT_ENDPOINTS: readonly EndpointSpec[] = [
  { id: FAL_KONTEXT_PRO, kind: 'edit', provider: 'fal', title: 'FLUX.1 Kontext [pro]', input: KontextEditInput, output: KontextOutput, priceMicrosPerImage: 40_000, preferredResolutions: KONTEXT_PREFERRED_RESOLUTIONS },
  { id: FAL_KONTEXT_MAX, kind: 'edit', provider: 'fal', title: 'FLUX.1 Kontext [max]', input: KontextEditInput, output: KontextOutput, priceMicrosPerImage: 80_000, preferredResolutions: KONTEXT_PREFERRED_RESOLUTIONS },
  { id: FAL_KONTEXT_PRO_TEXT, kind: 'text-to-image', provider: 'fal', title: 'FLUX.1 Kontext [pro] text-to-image', input: KontextTextToImageInput, output: KontextOutput, priceMicrosPerImage: 40_000 },
  { id: FAL_KONTEXT_MAX_TEXT, kind: 'text-to-image', provider: 'fal', title: 'FLUX.1 Kontext [max] text-to-image', input: KontextTextToImageInput, output: KontextOutput, priceMicrosPerImage: 80_000 },
  { id: LOCAL_KONTEXT_SIM, kind: 'edit', provider: 'local', title: 'Local Kontext simulator (offline, not a real model)', input: LocalEditInput, output: KontextOutput, priceMicrosPerImage: 0, preferredResolutions: KONTEXT_PREFERRED_RESOLUTIONS, capabilities: { maxReferences: LOCAL_MAX_REFERENCES, aspectRatios: ASPECT_RATIOS, sizes: null, seed: true } },
  { id: LOCAL_KONTEXT_SIM_TEXT, kind: 'text-to-image', provider: 'local', title: 'Local Kontext simulator, text-to-image (offline, not a real model)', input: KontextTextToImageInput, output: KontextOutput, priceMicrosPerImage: 0 },
  ...FAL_MULTI_IMAGE_ENDPOINTS,
  ...BFL_ENDPOINTS,
  ...REPLICATE_ENDPOINTS,
];

/** Endpoint id → schemas and price. */
export class EndpointRegistry {
  private readonly specs: Map<string, EndpointSpec>;

  constructor(specs: readonly EndpointSpec[] = DEFAULT_ENDPOINTS) {
    this.specs = new Map(specs.map((s) => [s.id, s]));
  }

  /** A copy with some prices replaced (micro-dollars per image, by endpoint id). */
  withPrices(prices: Record<string, number>): EndpointRegistry {
    for (const [id, price] of Object.entries(prices)) {
      if (!this.specs.has(id)) throw this.unknown(id, 'prices');
      if (!Number.isInteger(price) || price < 0) throw new ValidationError([{ field: `prices.${id}`, message: `${price} is not a whole non-negative number of micro-dollars` }]);
    }
    return new EndpointRegistry(
      [...this.specs.values()].map((s) => {
        if (!(s.id in prices)) return s;
        const { priceMicros: _computed, ...rest } = s;
        return { ...rest, priceMicrosPerImage: prices[s.id]! };
      }),
    );
  }

  with(spec: EndpointSpec): EndpointRegistry {
    return new EndpointRegistry([...[...this.specs.values()].filter((s) => s.id !== spec.id), spec]);
  }

  get(id: string, field = 'endpoint'): EndpointSpec {
    const spec = this.specs.get(id);
    if (!spec) throw this.unknown(id, field);
    return spec;
  }

  list(): EndpointSpec[] {
    return [...this.specs.values()];
  }

  /** The text-to-image sibling of an edit endpoint (same provider and tier), if any. */
  textSiblingOf(id: string): EndpointSpec | undefined {
    const spec = this.get(id);
    if (spec.kind === 'text-to-image') return spec;
    return this.specs.get(`${id}/text-to-image`);
  }

  /** The edit sibling of a text-to-image endpoint. */
  editSiblingOf(id: string): EndpointSpec | undefined {
    const spec = this.get(id);
    if (spec.kind === 'edit') return spec;
    return this.specs.get(id.replace(/\/text-to-image$/, ''));
  }

  private unknown(id: string, field: string): ValidationError {
    return new ValidationError([{ field, message: `'${id}' is not a known endpoint; allowed: ${[...this.specs.keys()].join(', ')}` }]);
  }
}

/**
 * Price of a request before it is sent: price per image × images asked for, where the price of
 * one may depend on the requested size and the number of reference images sent with it.
 */
export function estimateCostMicros(endpoint: EndpointSpec, params: Record<string, unknown>, references = 0): number {
  const images = typeof params.num_images === 'number' ? params.num_images : 1;
  return (endpoint.priceMicros ? endpoint.priceMicros(params, { references }) : endpoint.priceMicrosPerImage) * images;
}
