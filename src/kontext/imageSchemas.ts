import { z } from 'zod';

/** The schema of `reference_image_urls` for an endpoint that takes up to `max` references. */
export const referenceUrls = (max: number) =>
  z.array(z.string().min(1)).max(max).optional().describe(`Reference images beside the chained one (http(s) URLs or data URIs), at most ${max}.`);

/** The schema of `image_urls`: the chained image first, then up to `maxReferences` references. */
export const imageUrlList = (maxReferences: number) =>
  z.array(z.string().min(1)).min(1).max(maxReferences + 1).describe(`The image to edit first, then up to ${maxReferences} reference images (http(s) URLs or data URIs).`);
