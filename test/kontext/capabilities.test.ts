import { describe, expect, it } from 'vitest';
import { capabilitiesOf } from '../../src/kontext/capabilities.js';
import { EndpointRegistry } from '../../src/kontext/endpoints.js';
import { withImages } from '../../src/kontext/imageFields.js';

const registry = new EndpointRegistry();
const edits = registry.list().filter((e) => e.kind === 'edit');
const shapeOf = (e: (typeof edits)[number]) => (e.input as unknown as { shape: Record<string, unknown> }).shape;

describe('each endpoint declares what its schema takes', () => {
  it.each(edits.map((e) => [e.id, e] as const))('%s: exactly maxReferences references pass its schema, one more does not', (_id, endpoint) => {
    const { maxReferences } = capabilitiesOf(endpoint);
    const request = (references: number) => withImages(endpoint, { prompt: 'make it red' }, 'https://example.invalid/a.png', Array.from({ length: references }, (_, i) => `https://example.invalid/r${i}.png`));
    expect(endpoint.input.safeParse(request(maxReferences)).success).toBe(true);
    expect(endpoint.input.safeParse(request(maxReferences + 1)).success).toBe(false);
  });

  it.each(registry.list().map((e) => [e.id, e] as const))('%s: its seed, aspect-ratio and size flags match its schema', (_id, endpoint) => {
    const shape = shapeOf(endpoint);
    const { seed, aspectRatios } = capabilitiesOf(endpoint);
    expect('seed' in shape).toBe(seed);
    expect('aspect_ratio' in shape).toBe(aspectRatios.length > 0);
  });

  it('the fal multi-image endpoints take one image_urls list, chained image first', () => {
    for (const id of ['fal-ai/flux-pro/kontext/max/multi', 'fal-ai/flux-2-pro/edit', 'fal-ai/flux-2-flex/edit', 'fal-ai/flux-2/edit']) {
      const endpoint = registry.get(id);
      expect(endpoint.imageLayout).toBe('image_urls');
      expect(withImages(endpoint, { prompt: 'x' }, 'a', ['b', 'c'])).toEqual({ prompt: 'x', image_urls: ['a', 'b', 'c'] });
    }
  });
});
