import { ASPECT_RATIOS } from './aspectRatios.js';

/** An exact output size an endpoint takes: each side from `min` to `max`, a multiple of `multipleOf`. */
export interface SizeRange {
  min: number;
  max: number;
  multipleOf: number;
}

/**
 * What one endpoint can do, as the engine checks it before anything is sent or paid for.
 * The request schema is still the contract; these flags say what a user may ask for in
 * words the CLI, the server and the page can show (how many reference images, which shapes).
 */
export interface EndpointCapabilities {
  /** Reference images a request may carry beside the chained image; 0 when it takes none. */
  maxReferences: number;
  /** The `aspect_ratio` values it takes; empty when it takes none. */
  aspectRatios: readonly string[];
  /** The exact `width`/`height` it takes, or null when it takes no exact size. */
  sizes: SizeRange | null;
  /** Whether a request may fix the seed (what makes a fresh replay reproduce a turn). */
  seed: boolean;
}

/** FLUX.1 Kontext on fal: one image, an aspect ratio, a seed. */
export const KONTEXT_CAPABILITIES: EndpointCapabilities = { maxReferences: 0, aspectRatios: ASPECT_RATIOS, sizes: null, seed: true };

/** FLUX.2's exact sizes, as BFL documents them (256 to 2048 px a side, multiples of 16). */
export const FLUX2_SIZES: SizeRange = { min: 256, max: 2048, multipleOf: 16 };

/** An endpoint's capabilities; entries that declare none take one image and nothing more (the Kontext default). */
export function capabilitiesOf(spec: { capabilities?: EndpointCapabilities }): EndpointCapabilities {
  return spec.capabilities ?? KONTEXT_CAPABILITIES;
}
