import type { EndpointSpec } from './endpoints.js';
import { BFL_ENDPOINTS } from './bflEndpoints.js';

/**
 * Black Forest Labs' models as Replicate serves them (`black-forest-labs/<model>`), with the
 * same request schemas and list prices as BFL's own API: the provider translates the
 * engine's fields to each model's inputs. Ids are `replicate/black-forest-labs/<model>`.
 */
export const REPLICATE_KONTEXT_PRO = 'replicate/black-forest-labs/flux-kontext-pro';
export const REPLICATE_KONTEXT_MAX = 'replicate/black-forest-labs/flux-kontext-max';
export const REPLICATE_FLUX2_PRO = 'replicate/black-forest-labs/flux-2-pro';

export const REPLICATE_ENDPOINTS: readonly EndpointSpec[] = BFL_ENDPOINTS.map((spec) => {
  const model = spec.providerModel!;
  const suffix = spec.kind === 'text-to-image' ? '/text-to-image' : '';
  const { maxInFlight: _bflLimit, ...rest } = spec;
  return { ...rest, id: `replicate/black-forest-labs/${model}${suffix}`, provider: 'replicate', title: spec.title.replace('via BFL', 'via Replicate'), providerModel: `black-forest-labs/${model}` };
});
