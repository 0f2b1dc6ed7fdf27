import type { SessionStore } from '../store/SessionStore.js';
import type { TurnRow } from '../store/schema.js';
import type { ImageSize } from './types.js';

/** The image a session started from (its root turn's picked output): blob and size. */
export interface RootImage {
  blobHash: string;
  size: ImageSize | null;
}

/** The root image of the session `turn` is in, or null while the root has none (a text-to-image root still running). */
export async function rootImageOf(store: SessionStore, turn: Pick<TurnRow, 'id' | 'parentId'>): Promise<RootImage | null> {
  const rootId = turn.parentId === null ? turn.id : (await store.pathIds(turn.id))[0]!;
  const root = await store.getTurn(rootId);
  const chosen = (await store.outputsOf(rootId))[root.selectedOutput];
  if (!chosen) return null;
  return { blobHash: chosen.blobHash, size: chosen.width && chosen.height ? { width: chosen.width, height: chosen.height } : null };
}
