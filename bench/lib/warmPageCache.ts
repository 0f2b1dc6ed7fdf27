import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `mebibytes` MiB into one scratch file in `dir` and deletes it, so that the page
 * cache memory the measurement writes into next has been used before.
 *
 * Why: on a virtual machine whose host backs guest memory only when the guest first touches
 * it (this project's CI machines), the first write into never-used memory costs far more
 * kernel time than the copy itself — 1 MiB written into a new file was measured at 2.2 ms of
 * system CPU into fresh memory against 0.24 ms into recycled memory, same disk, same minute.
 * A server that has run for a while writes into recycled memory; a benchmark started on a
 * fresh machine would otherwise measure the host's first touches instead of the engine.
 * One file (one inode) keeps the warm-up from taxing later file creations: a journal-less
 * ext4 makes every new file skip past recently deleted inodes.
 */
export function warmPageCache(dir: string, mebibytes: number): void {
  const path = join(dir, '.page-cache-warm-up');
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  const file = openSync(path, 'w');
  try {
    for (let i = 0; i < mebibytes; i++) writeSync(file, chunk);
  } finally {
    closeSync(file);
    unlinkSync(path);
  }
}
