import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { driftWarning } from '../../src/quality/describe.js';
import { measureDrift } from '../../src/quality/measureDrift.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { sceneImage } from '../providers/local/fixtures.js';

function makeEngine() {
  const blobs = new MemoryBlobStore();
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs, providers: [createLocalProvider()] });
  return { engine, blobs };
}

describe('drift per turn', () => {
  it('over 10 chained simulator turns drift from the root grows: SSIM falls and ΔE rises, and each turn stores both figures', async () => {
    const { engine } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await sceneImage(480, 360) } });
    const turns = [];
    for (let i = 0; i < 10; i++) turns.push(await engine.edit(session.id, `add text 'step ${i}'`, { seed: 100 + i }));
    for (const turn of turns) {
      expect(turn.drift?.parent).toBeTruthy();
      expect(turn.drift?.root).toBeTruthy();
    }
    // The first turn's parent is the root, so both figures are the same measurement.
    expect(turns[0]!.drift!.root).toEqual(turns[0]!.drift!.parent);
    const first = turns[0]!.drift!.root!;
    const last = turns[9]!.drift!.root!;
    expect(last.ssim).toBeLessThan(first.ssim);
    expect(last.deltaE).toBeGreaterThan(first.deltaE);
    // Each round trip alone moves less than the whole path does.
    expect(turns[9]!.drift!.parent!.deltaE).toBeLessThan(last.deltaE);
  });

  it('the stored figures are those of the picked output, measured again on pick', async () => {
    const { engine, blobs } = makeEngine();
    const session = await engine.startSession({ image: { bytes: await sceneImage(320, 240) } });
    const turn = await engine.edit(session.id, 'make it night', { seed: 3, num_images: 2 });
    const picked = await engine.pick(turn.id, 1);
    const expected = await measureDrift(await blobs.get(turn.inputBlob!), await blobs.get(turn.outputs[1]!.blobHash));
    expect(picked.drift!.parent).toEqual(expected);
  });

  it('the warning names the threshold a turn passed, with the session\'s own thresholds', () => {
    const figures = { ssim: 0.8, deltaE: 2, editedFraction: 0, from: { width: 1, height: 1 }, to: { width: 1, height: 1 } };
    expect(driftWarning({ parent: figures, root: figures }, {})).toMatch(/SSIM 0\.800 < 0\.9/);
    expect(driftWarning({ parent: figures, root: figures }, { warnSsimBelow: 0.7 })).toBeNull();
    expect(driftWarning({ parent: figures, root: figures }, { warnSsimBelow: 0.7, warnDeltaEAbove: 1 })).toMatch(/ΔE 2\.0 > 1/);
  });
});
