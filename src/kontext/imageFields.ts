
/**
 * Where a request carries its images. Most endpoints take the chained image as `image_url`
 * and, when they take references at all, the references as `reference_image_urls` (the
 * engine's own field, which the BFL, Replicate and local providers translate to their
 * models' inputs). fal's multi-image endpoints (Kontext [max] multi, FLUX.2 edit) take one
 * list, `image_urls`, sent as is: the chained image first, then the references.
 *
 * No zod here: the store and the CLI's light commands use these, and load no schema library.
 */
export type ImageLayout = 'image_url' | 'image_urls';

export const REFERENCE_FIELD = 'reference_image_urls';

/** Every field a request's images may sit in: left out when params are compared or stored without them. */
export const IMAGE_FIELDS = ['image_url', 'image_urls', REFERENCE_FIELD] as const;

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
