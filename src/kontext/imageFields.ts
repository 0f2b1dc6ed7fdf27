import { z } from 'zod';
import { ValidationError } from '../errors/ValidationError.js';
import { capabilitiesOf, type EndpointCapabilities } from './capabilities.js';

/**
 * Where a request carries its images. Most endpoints take the chained image as `image_url`
 * and, when they take references at all, the references as `reference_image_urls` (the
 * engine's own field, which the BFL, Replicate and local providers translate to their
 * models' inputs). fal's multi-image endpoints (Kontext [max] multi, FLUX.2 edit) take one
 * list, `image_urls`, sent as is: the chained image first, then the references.
 */
export type ImageLayout = 'image_url' | 'image_urls';

export const REFERENCE_FIELD = 'reference_image_urls';

/** Every field a request's images may sit in: left out when params are compared or stored without them. */
export const IMAGE_FIELDS = ['image_url', 'image_urls', REFERENCE_FIELD] as const;

/** The schema of `reference_image_urls` for an endpoint that takes up to `max` references. */
export const referenceUrls = (max: number) =>
  z.array(z.string().min(1)).max(max).optional().describe(`Reference images beside the chained one (http(s) URLs or data URIs), at most ${max}.`);

/** The schema of `image_urls`: the chained image first, then up to `maxReferences` references. */
export const imageUrlList = (maxReferences: number) =>
  z.array(z.string().min(1)).min(1).max(maxReferences + 1).describe(`The image to edit first, then up to ${maxReferences} reference images (http(s) URLs or data URIs).`);

/** `params` without any image field. */
export function withoutImages(params: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...params };
  for (const field of IMAGE_FIELDS) delete rest[field];
  return rest;
}

/** `params` with the chained image and the references where the endpoint takes them. */
export function withImages(spec: { imageLayout?: ImageLayout }, params: Record<string, unknown>, image: string, references: readonly string[]): Record<string, unknown> {
  const rest = withoutImages(params);
  if (spec.imageLayout === 'image_urls') return { ...rest, image_urls: [image, ...references] };
  return references.length > 0 ? { ...rest, image_url: image, [REFERENCE_FIELD]: [...references] } : { ...rest, image_url: image };
}

/** The references a request carries, in order, whichever layout it uses. */
export function referencesIn(spec: { imageLayout?: ImageLayout }, params: Record<string, unknown>): string[] {
  const list = spec.imageLayout === 'image_urls' ? params.image_urls : params[REFERENCE_FIELD];
  if (!Array.isArray(list)) return [];
  const strings = list.filter((v): v is string => typeof v === 'string');
  return spec.imageLayout === 'image_urls' ? strings.slice(1) : strings;
}

/**
 * Refuses more references than the endpoint takes, before any is read, archived or sent:
 * `references: 3 images given; 'fal-ai/flux-pro/kontext' takes none`.
 */
export function checkReferenceCount(spec: { id: string; capabilities?: EndpointCapabilities }, count: number, field = 'references'): void {
  const { maxReferences } = capabilitiesOf(spec);
  if (count <= maxReferences) return;
  const takes = maxReferences === 0 ? 'takes no reference images' : `takes at most ${maxReferences}`;
  throw new ValidationError([{ field, message: `${count} reference image${count === 1 ? '' : 's'} given; '${spec.id}' ${takes}` }]);
}
