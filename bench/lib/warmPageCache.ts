import { closeSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface PageCacheWarmer {
  /** Writes `mebibytes` MiB into the scratch file and truncates it, handing that memory back free. */
  warm(mebibytes: number): void;
  /** Deletes the scratch file. */
  close(): void;
}

/**
 * Keeps the memory a measurement writes its files into recycled, as a long-running server's
 * is: before each measured block, `warm(n)` fills n MiB of page cache and frees it again, so
 * the block's writes land in memory the guest used a moment ago.
 *
 * Why: on a virtual machine that hands memory the guest frees back to its host (this project's
 * CI machines: virtio-balloon with free page reporting, which reports free 2 MiB blocks about
 * two seconds after they are freed), the next write into that memory makes the host back it
 * again, and that costs far more kernel time than the copy itself. Measured here with the
 * archive floor's calls (sha256 + write + rename of 1 MiB, 60 files): 0.97-1.06 ms each right
 * after 80 MiB were freed, 3.08-3.38 ms (2.35-2.59 ms of it system) when the same writes came
 * 4 s later. A server whose page cache has filled recycles its own pages; a benchmark on a
 * fresh, mostly empty machine would otherwise measure the host's page faults, and more of them
 * the later a block runs after a single warm-up.
 *
 * One file, truncated rather than deleted, so that warming frees no inode: a journal-less ext4
 * makes every new file skip past inodes freed in the last minutes (see tempDir.ts).
 */
export function openPageCacheWarmer(dir: string): PageCacheWarmer {
  const path = join(dir, '.page-cache-warm-up');
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  const file = openSync(path, 'w');
  return {
    warm(mebibytes) {
      for (let i = 0; i < mebibytes; i++) writeSync(file, chunk, 0, chunk.byteLength, i * chunk.byteLength);
      ftruncateSync(file, 0);
    },
    close() {
      closeSync(file);
      unlinkSync(path);
    },
  };
}
