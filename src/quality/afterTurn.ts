import sharp from 'sharp';
import type { BlobStore } from '../blobs/BlobStore.js';
import type { NewBlob, NewOutput, SessionStore } from '../store/SessionStore.js';
import type { TurnRow } from '../store/schema.js';
import { sameShape } from './aspect.js';
import { measureDrift } from './measureDrift.js';
import { preserveRegions } from './preserveRegions.js';
import { rootImageOf } from './rootImage.js';
import { resolveQuality } from './defaults.js';
import type { ImageSize, TurnDrift, TurnSizes } from './types.js';

export interface QualityDeps {
  store: SessionStore;
  blobs: BlobStore;
}

export interface ArchivedOutputs {
  outputs: NewOutput[];
  newBlobs: NewBlob[];
}

/** What is needed of the turn being finished (a memo hit has no row yet). */
export type FinishingTurn = Pick<TurnRow, 'kind' | 'sessionId' | 'parentId' | 'inputBlob' | 'sizes' | 'qualityOptions'>;

/** What a finished edit's write carries besides its outputs: sizes, drift, and which output is kept. */
export interface TurnQuality extends ArchivedOutputs {
  selectedOutput: number;
  sizes: TurnSizes | null;
  drift: TurnDrift | null;
}

/**
 * Everything measured or made once an edit's outputs are archived: its sizes, the output
 * resized back to the source size and the parent's pixels put back outside the edit when the
 * session or turn asks (each added as one more candidate and picked, so the raw output stays
 * pickable), and its drift from the parent and the root.
 * Measuring never fails the turn: the provider's result is paid for and already archived.
 */
export async function qualityAfterTurn(deps: QualityDeps, turn: FinishingTurn, archived: ArchivedOutputs): Promise<TurnQuality> {
  const unchanged: TurnQuality = { ...archived, selectedOutput: 0, sizes: turn.sizes, drift: null };
  const first = archived.outputs[0];
  if (turn.kind !== 'edit' || !turn.inputBlob || !turn.parentId || !first) return unchanged;
  try {
    const settings = resolveQuality((await deps.store.getSession(turn.sessionId)).quality);
    const root = await rootImageOf(deps.store, { id: turn.parentId, parentId: turn.parentId });
    const source = turn.sizes?.source ?? root?.size ?? null;
    const output = first.width && first.height ? { width: first.width, height: first.height } : null;
    const mismatch = source !== null && output !== null && !sameShape(source, output);

    let outputs = archived.outputs;
    let newBlobs = archived.newBlobs;
    let selectedOutput = 0;
    let keptHash = first.blobHash;
    let resizedToSource = false;
    if (settings.resizeToSource && source && output && (source.width !== output.width || source.height !== output.height)) {
      const resized = await resizeTo(await deps.blobs.get(first.blobHash), source, first.contentType);
      const { hash, size } = await deps.blobs.put(resized);
      selectedOutput = outputs.length;
      outputs = [...outputs, { ...first, index: selectedOutput, providerUrl: null, blobHash: hash, width: source.width, height: source.height }];
      if (!newBlobs.some((b) => b.hash === hash)) newBlobs = [...newBlobs, { hash, size, contentType: first.contentType, width: source.width, height: source.height }];
      keptHash = hash;
      resizedToSource = true;
    }

    if (turn.qualityOptions?.preserveRegions ?? settings.preserveRegions) {
      const kept = outputs[selectedOutput]!;
      const preserved = await preserveRegions(await deps.blobs.get(turn.inputBlob), await deps.blobs.get(kept.blobHash), kept.contentType);
      const { hash, size } = await deps.blobs.put(preserved.bytes);
      selectedOutput = outputs.length;
      outputs = [...outputs, { ...kept, index: selectedOutput, providerUrl: null, blobHash: hash }];
      if (!newBlobs.some((b) => b.hash === hash)) newBlobs = [...newBlobs, { hash, size, contentType: kept.contentType, width: kept.width, height: kept.height }];
      keptHash = hash;
    }
    const drift = await driftOf(deps, turn.inputBlob, root?.blobHash ?? null, keptHash);
    const sizes: TurnSizes = {
      input: turn.sizes?.input ?? drift.parent?.from ?? null,
      output,
      source,
      pinnedAspectRatio: turn.sizes?.pinnedAspectRatio ?? null,
      mismatch,
      resizedToSource,
    };
    return { outputs, newBlobs, selectedOutput, sizes, drift };
  } catch {
    return unchanged;
  }
}

/** Drift of the image `keptHash` against the parent's image and the root's. */
export async function driftOf(deps: Pick<QualityDeps, 'blobs'>, parentHash: string, rootHash: string | null, keptHash: string): Promise<TurnDrift> {
  const kept = await deps.blobs.get(keptHash);
  const parent = await measureDrift(await deps.blobs.get(parentHash), kept);
  const root = rootHash === null ? null : rootHash === parentHash ? parent : await measureDrift(await deps.blobs.get(rootHash), kept);
  return { parent, root };
}

/** `bytes` brought to exactly `size`: the few pixels of shape difference cropped from the centre, not stretched. */
async function resizeTo(bytes: Buffer, size: ImageSize, contentType: string): Promise<Buffer> {
  const image = sharp(bytes).autoOrient().resize(size.width, size.height, { fit: 'cover', position: 'centre' });
  return contentType === 'image/png' ? image.png().toBuffer() : image.jpeg({ quality: 95 }).toBuffer();
}
