import { ValidationError } from '../errors/ValidationError.js';
import { capabilitiesOf, type EndpointCapabilities } from './capabilities.js';

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
