import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import { ValidationError } from '../../src/errors/index.js';
import { KONTEXT_PREFERRED_RESOLUTIONS } from '../../src/kontext/endpoints.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import type { QualitySettings } from '../../src/quality/types.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { countingProvider } from '../support/countingProvider.js';
import { sceneImage } from '../providers/local/fixtures.js';

/** An engine on the simulator set to behave like Kontext: every output at one of its preferred sizes. */
function kontextLikeEngine() {
  const provider = countingProvider(createLocalProvider({ snapToPreferred: true }));
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [provider] });
  return { engine, provider };
}

async function chain(engine: SessionEngine, sessionId: string, turns: number) {
  const made = [];
  for (let i = 0; i < turns; i++) made.push(await engine.edit(sessionId, `add text 'turn ${i}'`, { seed: i + 1 }));
  return made;
}

describe('size pinning', () => {
  it('the registry holds Kontext\'s 17 preferred resolutions, 672×1568 through 1024×1024 to 1568×672', () => {
    expect(KONTEXT_PREFERRED_RESOLUTIONS).toHaveLength(17);
    expect(KONTEXT_PREFERRED_RESOLUTIONS[0]).toEqual([672, 1568]);
    expect(KONTEXT_PREFERRED_RESOLUTIONS[8]).toEqual([1024, 1024]);
    expect(KONTEXT_PREFERRED_RESOLUTIONS[16]).toEqual([1568, 672]);
  });

  it('a 3:2 source stays 3:2 through 5 turns: each request carries aspect_ratio 3:2 and each turn records its sizes', async () => {
    const { engine, provider } = kontextLikeEngine();
    const session = await engine.startSession({ image: { bytes: await sceneImage(900, 600) } });
    const turns = await chain(engine, session.id, 5);
    expect(provider.submissions.map((s) => s.input.aspect_ratio)).toEqual(['3:2', '3:2', '3:2', '3:2', '3:2']);
    for (const turn of turns) {
      const out = turn.outputs[turn.selectedOutput]!;
      expect(out.width! / out.height!).toBeCloseTo(1.5, 2);
      expect(turn.sizes).toMatchObject({ source: { width: 900, height: 600 }, output: { width: out.width, height: out.height }, pinnedAspectRatio: '3:2', mismatch: false });
    }
    expect(turns[0]!.sizes!.input).toEqual({ width: 900, height: 600 });
    expect(turns[1]!.sizes!.input).toEqual(turns[0]!.sizes!.output);
  });

  it('a shape no preferred size has (4:3) comes back another shape: the turn says so, and resizeToSource brings it back while keeping the raw output', async () => {
    const { engine } = kontextLikeEngine();
    const plain = await engine.startSession({ image: { bytes: await sceneImage(800, 600) } });
    const [raw] = await chain(engine, plain.id, 1);
    // Kontext's nearest preferred size for 4:3 is 1184×880, which is not quite 4:3.
    expect(raw!.outputs.map((o) => [o.width, o.height])).toEqual([[1184, 880]]);
    expect(raw!.sizes).toMatchObject({ pinnedAspectRatio: '4:3', mismatch: true, resizedToSource: false });

    const resized = await engine.startSession({ image: { bytes: await sceneImage(800, 600) }, quality: { resizeToSource: true } });
    const turns = await chain(engine, resized.id, 5);
    for (const turn of turns) {
      expect(turn.outputs[turn.selectedOutput]).toMatchObject({ width: 800, height: 600 });
      // The provider's own output is still there to pick.
      expect(turn.outputs[0]).toMatchObject({ width: 1184, height: 880 });
      expect(turn.sizes).toMatchObject({ mismatch: true, resizedToSource: true });
    }
  });

  it('pinning can be turned off, and a ratio the caller sets wins', async () => {
    const { engine, provider } = kontextLikeEngine();
    const off = await engine.startSession({ image: { bytes: await sceneImage(900, 600) }, quality: { pinAspect: false } });
    await engine.edit(off.id, 'make it red', { seed: 1 });
    expect(provider.submissions[0]!.input.aspect_ratio).toBeUndefined();
    const on = await engine.startSession({ image: { bytes: await sceneImage(900, 600) } });
    await engine.edit(on.id, 'make it red', { seed: 1, aspect_ratio: '1:1' });
    expect(provider.submissions[1]!.input.aspect_ratio).toBe('1:1');
  });

  it('bad quality settings are refused naming the field', async () => {
    const { engine } = kontextLikeEngine();
    const image = { bytes: await sceneImage(90, 60) };
    await expect(engine.startSession({ image, quality: { warnSsimBelow: 2 } })).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.startSession({ image, quality: { resize: true } as unknown as QualitySettings })).rejects.toThrow(/quality/);
  });
});
