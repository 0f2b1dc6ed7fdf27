import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import type { Provider } from '../../src/providers/Provider.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { toDataUri } from '../../src/util/dataUri.js';
import { collected } from '../support/collectGarbage.js';
import { testImage } from '../support/images.js';

/**
 * A real (local) provider that hands the engine's request to the model as a copy, keeps only a
 * weak reference to the request object the engine sent, and holds every job's wait until
 * `finish()`: so whether that object can be collected while the job runs depends on the engine alone.
 */
function observingProvider() {
  const inner = createLocalProvider();
  const sent: WeakRef<Record<string, unknown>>[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let waiting!: () => void;
  const inWait = new Promise<void>((resolve) => (waiting = resolve));
  const provider: Provider = {
    name: inner.name,
    // Inline, as the fal provider sends an image of up to 256 KiB (the local one holds it instead).
    prepareImage: async (image) => toDataUri(await image.load(), image.contentType),
    submit: async (endpointId, input, options) => {
      sent.push(new WeakRef(input));
      return inner.submit(endpointId, structuredClone(input), options);
    },
    wait: async (endpointId, job, options) => {
      waiting();
      await finished;
      return inner.wait(endpointId, job, options);
    },
    cancel: (endpointId, job, options) => inner.cancel(endpointId, job, options),
    download: (url, options) => inner.download(url, options),
  };
  return { provider, sent, inWait, finish };
}

describe('memory of a turn in flight', () => {
  it('lets go of the request it sent (inline image and all) once the submit is answered, while the job still runs', async () => {
    const { provider, sent, inWait, finish } = observingProvider();
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [provider] });
    const session = await engine.startSession({ image: { bytes: await testImage() } });
    const edit = engine.edit(session.id, 'make it night', { seed: 7 });
    await inWait;
    expect(String(sent[0]?.deref()?.image_url ?? '')).toMatch(/^data:image\//);

    // A turn can wait minutes in the provider's queue: holding its inline image (up to 256 KiB
    // as a data URI) that long made each turn in flight cost 275 KiB of heap with a 184 KiB PNG.
    expect(await collected(sent[0]!)).toBe(true);

    finish();
    const turn = await edit;
    expect(turn.status).toBe('succeeded');
    // What is stored is the request as sent, its data URI elided to the image's hash.
    expect(turn.params.image_url).toBe(`data:image/png;sha256=${turn.inputBlob},<elided>`);
    await engine.close();
  });
});
