import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import type { Turn } from '../../src/model/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { measureDrift } from '../../src/quality/measureDrift.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { sceneImage } from '../providers/local/fixtures.js';

/** ΔE of about 2.3 is the just-noticeable difference: below it the unedited area has not visibly moved. */
const JUST_NOTICEABLE_DELTA_E = 2.3;

async function tenTurns(preserveRegions: boolean) {
  const blobs = new MemoryBlobStore();
  const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs, providers: [createLocalProvider()] });
  const session = await engine.startSession({ image: { bytes: await sceneImage(480, 360) }, quality: { preserveRegions } });
  const turns: Turn[] = [];
  for (let i = 0; i < 10; i++) turns.push(await engine.edit(session.id, `add text 'step ${i}'`, { seed: 200 + i }));
  return { engine, blobs, session, turns };
}

describe('region-preserving edits', () => {
  it('over 10 chained turns drift outside the edits builds up without it and stays under the just-noticeable ΔE with it', async () => {
    const plain = await tenTurns(false);
    const kept = await tenTurns(true);
    const plainRoot = plain.turns[9]!.drift!.root!;
    const keptRoot = kept.turns[9]!.drift!.root!;
    expect(plainRoot.deltaE).toBeGreaterThan(JUST_NOTICEABLE_DELTA_E);
    expect(keptRoot.deltaE).toBeLessThan(JUST_NOTICEABLE_DELTA_E);
    expect(keptRoot.deltaE).toBeLessThan(plainRoot.deltaE / 2);
  });

  it('keeps the raw provider output as candidate 0 and picks the preserved one; the raw one can be picked instead', async () => {
    const { engine, blobs, turns } = await tenTurns(true);
    const turn = turns[0]!;
    expect(turn.outputs).toHaveLength(2);
    expect(turn.selectedOutput).toBe(1);
    expect(turn.outputs[0]!.providerUrl).not.toBeNull();
    const preserved = await measureDrift(await blobs.get(turn.inputBlob!), await blobs.get(turn.outputs[1]!.blobHash));
    const raw = await measureDrift(await blobs.get(turn.inputBlob!), await blobs.get(turn.outputs[0]!.blobHash));
    expect(preserved.deltaE).toBeLessThan(raw.deltaE);
    const picked = await engine.pick(turn.id, 0);
    expect(picked.drift!.parent).toEqual(raw);
  });

  it('can be asked for one turn in a session that does not preserve', async () => {
    const engine = new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [createLocalProvider()] });
    const session = await engine.startSession({ image: { bytes: await sceneImage(320, 240) } });
    const one = await engine.edit(session.id, "add text 'A'", { seed: 1 }, { preserveRegions: true });
    const other = await engine.edit(session.id, "add text 'B'", { seed: 2 });
    expect(one.outputs).toHaveLength(2);
    expect(other.outputs).toHaveLength(1);
  });
});
