import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where benchmarks keep their stores: `bench/.work/` in the checkout, on the disk a real
 * store lives on (the CLI's default is `./.kontext` in the working folder), not the system
 * temp folder. A journal-less ext4 (this project's CI machines) does not reuse an inode freed
 * in the last 60 s, or 360 s while its inode table block is not yet written back (Linux
 * fs/ext4/ialloc.c, `recently_deleted`), and every new file in a folder whose inode group saw
 * many deletions first walks past each such inode: in `/tmp`, which the test suite churns, a
 * new empty file was measured at 355 µs of CPU against 30 µs in a folder nothing had deleted
 * from lately. That is the temp folder's history, not the engine's cost.
 */
export const BENCH_WORK_DIR = fileURLToPath(new URL('../.work/', import.meta.url));

/** A fresh folder under BENCH_WORK_DIR, removed by the returned `remove()`. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  mkdirSync(BENCH_WORK_DIR, { recursive: true });
  return freshDir(BENCH_WORK_DIR, prefix);
}

/** Linux's RAM disk, where there is one. */
const RAM_DISK = '/dev/shm';

/**
 * A fresh folder on a RAM disk (tmpfs), or undefined where there is none: for bulk files that
 * are not what a benchmark measures, such as a JIT warm-up's, whose deletion would otherwise
 * tax the measured disk's next new files.
 */
export function ramDiskDir(prefix: string): { path: string; remove(): void } | undefined {
  return existsSync(RAM_DISK) ? freshDir(RAM_DISK, `kontext-bench-${prefix}`) : undefined;
}

function freshDir(parent: string, prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(parent, `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
