import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../../src/engine/SessionEngine.js';
import type { Turn } from '../../src/model/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { measureDrift } from '../../src/quality/measureDrift.js';
import { preserveRegions } from '../../src/quality/preserveRegions.js';
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

describe('preserveRegions, pixel by pixel', () => {
  it("puts the parent's pixels back everywhere but the edited corner, and keeps the edit there", async () => {
    const [width, height] = [96, 64];
    const parent = await sharp({ create: { width, height, channels: 3, background: { r: 120, g: 140, b: 160 } } }).png().toBuffer();
    // The "model's" output: a red block in the top-left corner, and a global colour shift everywhere else.
    const block = await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 230, g: 20, b: 20 } } }).png().toBuffer();
    const output = await sharp({ create: { width, height, channels: 3, background: { r: 132, g: 150, b: 150 } } })
      .composite([{ input: block, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const { bytes } = await preserveRegions(parent, output, 'image/png');
    const { data } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
    expect(pixel(6, 4)).toEqual([230, 20, 20]);
    // Well away from the block (beyond the grown, feathered edge), every pixel is the parent's.
    const notParent: string[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if ((x >= 48 || y >= 32) && pixel(x, y).join() !== '120,140,160') notParent.push(`(${x}, ${y}) ${pixel(x, y).join()}`);
      }
    }
    expect(notParent).toEqual([]);
  });
});
