import type { BlobStore } from '../blobs/BlobStore.js';
import { STALE_TEMP_FILE_MS } from '../blobs/FileBlobStore.js';
import { ValidationError } from '../errors/ValidationError.js';
import type { SessionStore } from '../store/SessionStore.js';

export interface GarbageOptions {
  /** Only report what would go. Default true: deleting is asked for with `dryRun: false`. */
  dryRun?: boolean;
  /**
   * Unreferenced blobs put less than this long ago stay: a write that archived them without an
   * unfinished turn to show for it (a session start, an import) may not have recorded them yet.
   * Default 1 hour, longer than any such write takes. 0 only where nothing else writes.
   */
  minAgeMs?: number;
  /** Temp files (of writes killed midway) younger than this may be a live write's. Default 1 hour. */
  tempMinAgeMs?: number;
}

export interface GarbageReport {
  dryRun: boolean;
  /** Blobs no turn, output or reference image refers to: deleted, or (dry run) to delete. */
  blobs: { count: number; bytes: number; hashes: string[] };
  /** Leftovers of killed writes. */
  temporary: { count: number; bytes: number };
  /** Metadata rows of the blobs deleted (the `blobs` table). */
  metadataRows: number;
  /** Unreferenced blobs kept because they were put after `cutoff`: a write may be about to record them. */
  keptRecent: number;
  /** Blobs last put before this are collectable when unreferenced. */
  cutoff: Date;
}

export interface GarbageDeps {
  store: SessionStore;
  blobs: BlobStore;
  now: () => number;
  /** Taken off the cutoff for coarse file times. Default CLOCK_SLACK_MS; tests of the race pass 0. */
  clockSlackMs?: number;
}

/** File times and database times come from the same clock, but some filesystems keep mtimes to a second or two. */
export const CLOCK_SLACK_MS = 2_000;

/**
 * Removes archived blobs that nothing refers to, their metadata rows, and old temp files.
 *
 * Why it never deletes a blob a running turn is about to record. A turn is written (unfinished)
 * before any of its images is put, and its images are recorded when it finishes, in the
 * transaction that writes its outputs. The collector:
 *   1. reads, as of one moment T, every referenced hash and the creation time of the oldest
 *      turn unfinished at T; the cutoff is the earlier of that and T − minAgeMs;
 *   2. then lists the archive, and deletes a blob only if it is unreferenced at T and was last
 *      put before the cutoff, re-checking that time in the delete itself (BlobStore.delete).
 * A blob that a turn records after T was put by a turn that either was unfinished at T (so it
 * was put after that turn's creation, which is at or after the cutoff) or was written after T
 * (so put after T, after the cutoff too). Either way it is newer than the cutoff and stays. A
 * put of bytes already archived counts as a put (the file archive touches the file), so an old
 * orphan that a running turn produces again is fresh too. Writes with no unfinished turn (a
 * session start, an import, a memo hit's resize) are covered by minAgeMs. Step 1 must come
 * before step 2: listed first, a blob could be put and recorded between the two reads.
 * Writes that copy a reference without putting the bytes (a memo hit, an exact replay, a fork)
 * are kept honest by the order of the deletes: a blob's metadata row goes first, in a write
 * transaction that checks it is still unreferenced, and every reference needs that row (a
 * foreign key), so such a write either lands before (and the blob stays) or fails cleanly.
 * A turn left unfinished by a killed process holds the cutoff back until it is resumed.
 *
 * @example
 * const report = await engine.collectGarbage({ dryRun: false });
 * console.log(`freed ${report.blobs.count} blobs, ${report.blobs.bytes} bytes`);
 */
export async function collectGarbage(deps: GarbageDeps, options: GarbageOptions = {}): Promise<GarbageReport> {
  const dryRun = options.dryRun ?? true;
  const minAgeMs = checkAge(options.minAgeMs ?? STALE_TEMP_FILE_MS, 'minAgeMs');
  const tempMinAgeMs = checkAge(options.tempMinAgeMs ?? STALE_TEMP_FILE_MS, 'tempMinAgeMs');
  const now = deps.now();

  const { referenced, oldestInFlightAt } = await deps.store.blobReferences();
  const cutoff = Math.min(now - minAgeMs, oldestInFlightAt?.getTime() ?? Number.POSITIVE_INFINITY) - (deps.clockSlackMs ?? CLOCK_SLACK_MS);

  const candidates = new Map<string, number>();
  let keptRecent = 0;
  for await (const blob of deps.blobs.list()) {
    if (referenced.has(blob.hash)) continue;
    if (blob.lastPutAt < cutoff) candidates.set(blob.hash, blob.size);
    else keptRecent++;
  }
  // Rows first, bytes second: see releaseUnreferencedBlobs.
  const released = await deps.store.releaseUnreferencedBlobs([...candidates.keys()], { dryRun });
  keptRecent += candidates.size - released.hashes.length;
  const blobs = { count: 0, bytes: 0, hashes: [] as string[] };
  for (const hash of released.hashes) {
    if (dryRun || (await deps.blobs.delete(hash, { ifLastPutBefore: cutoff }))) {
      blobs.count++;
      blobs.bytes += candidates.get(hash)!;
      blobs.hashes.push(hash);
    } else {
      keptRecent++;
    }
  }
  const metadataRows = released.rows;

  const temporary = { count: 0, bytes: 0 };
  for await (const entry of deps.blobs.listTemporary()) {
    if (entry.modifiedAt >= now - tempMinAgeMs) continue;
    if (dryRun || (await deps.blobs.deleteTemporary(entry.name))) {
      temporary.count++;
      temporary.bytes += entry.size;
    }
  }
  return { dryRun, blobs, temporary, metadataRows, keptRecent, cutoff: new Date(cutoff) };
}

function checkAge(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) throw new ValidationError([{ field, message: `${String(value)} is not a non-negative number of milliseconds` }]);
  return value;
}
