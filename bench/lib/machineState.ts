/**
 * A new empty file costs about 14-30 µs of CPU on a disk nothing has deleted many files from
 * lately (this project's CI machines, 2026-11; 53 µs right after `npm test`). Above this, the
 * disk is still paying for a recent deletion-heavy job (the freed-inode walk explained in
 * tempDir.ts): measured 78-244 µs in the minutes after a benchmark run's cleanup.
 */
export const QUIET_NEW_FILE_MICROS = 60;

/**
 * What a reader of the table should know when this run's own probe shows the disk in that
 * state: every turn makes a new file, so the figures that count CPU per turn read high, and by
 * how much is the disk's history, not the engine. Undefined when the probe looks quiet.
 */
export function newFileCaution(newFileMicros: number): string | undefined {
  if (!(newFileMicros > QUIET_NEW_FILE_MICROS)) return undefined;
  return `a new empty file cost ${newFileMicros.toFixed(0)} µs in this run, above the ${QUIET_NEW_FILE_MICROS} µs of a quiet disk: something deleted many files on it in the last minutes (another benchmark run's cleanup, for one), and every turn's new blob file pays for that walk past freed inodes. The engine's own figure needs a run that starts once nothing has deleted files for about 6 minutes (see README, Benchmarks).`;
}
