import type { z } from 'zod';
import type { EndpointSpec } from './endpoints.js';
import { BFL_ENDPOINTS } from './bflEndpoints.js';
import { capabilitiesOf } from './capabilities.js';

/**
 * Black Forest Labs' models as Replicate serves them (`black-forest-labs/<model>`), with the
 * same request schemas and list prices as BFL's own API: the provider translates the
 * engine's fields to each model's inputs. Ids are `replicate/black-forest-labs/<model>`.
 *
 * References: Replicate's FLUX.2 models take a list, `input_images` (the chained image first),
 * as their input schemas on replicate.com say; its Kontext models take one `input_image`
 * only, so they take no references here.
 */
export const REPLICATE_KONTEXT_PRO = 'replicate/black-forest-labs/flux-kontext-pro';
export const REPLICATE_KONTEXT_MAX = 'replicate/black-forest-labs/flux-kontext-max';
export const REPLICATE_FLUX2_PRO = 'replicate/black-forest-labs/flux-2-pro';

export const REPLICATE_ENDPOINTS: readonly EndpointSpec[] = BFL_ENDPOINTS.map((spec) => {
  const model = spec.providerModel!;
  const suffix = spec.kind === 'text-to-image' ? '/text-to-image' : '';
  const { maxInFlight: _bflLimit, ...rest } = spec;
  const single = model.startsWith('flux-kontext') && spec.kind === 'edit';
  const input = single ? (spec.input as z.ZodObject).omit({ reference_image_urls: true }).strict() : spec.input;
  const capabilities = single ? { ...capabilitiesOf(spec), maxReferences: 0 } : spec.capabilities;
  return { ...rest, input, capabilities, id: `replicate/black-forest-labs/${model}${suffix}`, provider: 'replicate', title: spec.title.replace('via BFL', 'via Replicate'), providerModel: `black-forest-labs/${model}` };
});
