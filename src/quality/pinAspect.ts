import { capabilitiesOf } from '../kontext/capabilities.js';
import type { EndpointSpec } from '../kontext/endpoints.js';
import { nearestAspectRatio } from './aspect.js';
import type { ImageSize } from './types.js';

/**
 * The request params with the session's shape pinned: when the caller set no `aspect_ratio`,
 * the allowed one nearest the source's is sent, because Kontext otherwise snaps the input to
 * its preferred sizes and the picture's shape changes without anyone asking.
 * Returns the params as they are when pinning is off, the caller chose a ratio, or the
 * endpoint takes an exact size (none of ours does yet; it would be given `width`/`height`).
 */
export function pinAspect(params: Record<string, unknown>, source: ImageSize | null, endpoint: EndpointSpec, enabled: boolean): { params: Record<string, unknown>; pinned: string | null } {
  if (!enabled || !source || endpoint.kind !== 'edit' || params.aspect_ratio !== undefined) return { params, pinned: null };
  if (endpoint.takesExactSize) return { params: { ...params, width: source.width, height: source.height }, pinned: `${source.width}x${source.height}` };
  // An endpoint without aspect ratios (fal's FLUX.2 edit keeps the input's shape itself) gets none.
  if (capabilitiesOf(endpoint).aspectRatios.length === 0) return { params, pinned: null };
  const ratio = nearestAspectRatio(source);
  return { params: { ...params, aspect_ratio: ratio }, pinned: ratio };
}
