import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore } from '../src/blobs/FileBlobStore.js';
import { MemoryBlobStore } from '../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../src/engine/SessionEngine.js';
import { SessionStore } from '../src/store/SessionStore.js';
import { testImage } from '../test/support/images.js';
import { atMost, context, type BenchResult } from './lib/BenchResult.js';
import { createInstantProvider, INSTANT_ENDPOINT, INSTANT_IMAGE_BYTES, instantEndpoints, oneMebibytePng } from './lib/instantProvider.js';
import { newFileCaution, QUIET_NEW_FILE_MICROS } from './lib/machineState.js';
import { mean, median, ms, quantile } from './lib/stats.js';
import { ramDiskDir, tempDir } from './lib/tempDir.js';
import { openPageCacheWarmer, type PageCacheWarmer } from './lib/warmPageCache.js';

export interface EngineOverheadOptions {
  /** Measured turns per session (split into rounds). */
  turns?: number;
  /** Unmeasured turns at the start of each measured session (a new store's first writes). */
  warmup?: number;
  /** Turns a fresh process runs first, unmeasured, so that V8 has done optimizing the engine. */
  jitWarmup?: number;
  /** Interleaved rounds the measured turns are split into. */
  rounds?: number;
}

/** The first turns of the JIT warm-up, reported for what they cost while V8 still compiles. */
const COLD_TURNS = 300;

/** Page cache warmed before each block beyond its images: the store's WAL and table pages. */
const PAGE_CACHE_MARGIN_MIB = 8;

interface Block {
  /** CPU ms per turn (user + system), each turn's and over the whole block. */
  cpu: number[];
  cpuPerTurn: number;
  wall: number[];
}

interface Chain {
  /** Runs `turns` more chained edits, measured. */
  run(turns: number): Promise<Block>;
  close(): Promise<void>;
}

/**
 * A session of chained edits on a file-backed store in `dir` with the instant provider
 * answering `image` to every job, after `warmup` unmeasured turns. Blobs go to files under
 * `blobsRoot` (its shard folders made first), or to memory when that is null.
 */
async function openChain(image: Buffer, warmup: number, dir: { path: string }, blobsRoot: string | null): Promise<Chain> {
  const store = SessionStore.open(join(dir.path, 'kontext.db'));
  if (blobsRoot) makeShardFolders(blobsRoot);
  const blobs = blobsRoot ? new FileBlobStore(blobsRoot) : new MemoryBlobStore();
  const engine = new SessionEngine({ store, blobs, providers: [createInstantProvider(image)], endpoints: instantEndpoints(), defaultEndpoint: INSTANT_ENDPOINT });
  const close = async () => {
    await engine.close();
    store.close();
  };
  let count = 0;
  const edit = async (sessionId: string) => {
    const turn = await engine.edit(sessionId, `turn ${++count}`);
    if (turn.status !== 'succeeded') throw new Error(`turn ${count} ended ${turn.status}: ${turn.errorMessage}`);
  };
  let sessionId: string;
  try {
    ({ id: sessionId } = await engine.startSession({ image: { bytes: await testImage() } }));
    for (let i = 0; i < warmup; i++) await edit(sessionId);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    async run(turns) {
      const cpu: number[] = [];
      const wall: number[] = [];
      const total = process.cpuUsage();
      for (let i = 0; i < turns; i++) {
        const before = process.cpuUsage();
        const started = performance.now();
        await edit(sessionId);
        wall.push(performance.now() - started);
        const used = process.cpuUsage(before);
        cpu.push((used.user + used.system) / 1000);
      }
      const used = process.cpuUsage(total);
      return { cpu, wall, cpuPerTurn: (used.user + used.system) / 1000 / turns };
    },
    close,
  };
}

/**
 * The floor under any archive of 1 MiB outputs on this machine: the same bytes hashed
 * (sha256) and written to a new file then renamed into its shard folder, in the same folders
 * as the engine's blobs, with plain Node calls and no engine — the filesystem and the hash
 * alone. `run(count)` returns the CPU ms per image (kernel included).
 */
function openArchiveFloor(image: Buffer, root: string): { run(count: number): number } {
  makeShardFolders(root);
  const trailer = Buffer.alloc(8);
  // Numbers the instant provider's job trailers never reach: every image is a new file.
  let written = 2 ** 40;
  const write = () => {
    trailer.writeBigUInt64BE(BigInt(++written));
    const hash = createHash('sha256').update(image).update(trailer).digest('hex');
    const tmp = join(root, `.tmp-floor-${written}`);
    const file = openSync(tmp, 'wx');
    writeSync(file, image);
    writeSync(file, trailer);
    closeSync(file);
    renameSync(tmp, join(root, hash.slice(0, 2), hash.slice(2)));
  };
  for (let i = 0; i < 10; i++) write();
  return {
    run(count) {
      const before = process.cpuUsage();
      for (let i = 0; i < count; i++) write();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000 / count;
    },
  };
}

/**
 * The 256 folders `<ab>/` an established blob store has: a new one makes each on its first
 * blob (about 1,500 images in, all exist), and a run of 300 turns on a new store would make
 * some 200 of them — a new store's cost, not a turn's.
 */
function makeShardFolders(root: string): void {
  for (let i = 0; i < 256; i++) mkdirSync(join(root, i.toString(16).padStart(2, '0')), { recursive: true });
}

/** CPU µs to create one empty file in `dir` (open with O_EXCL, close), over `count` files. */
function newEmptyFileCost(dir: { path: string }, count: number): number {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) closeSync(openSync(join(dir.path, `f${i}`), 'wx'));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/**
 * The engine's own cost per turn — store writes, chaining from HEAD, archiving a 1 MiB
 * output — with a provider that answers at once, on a file-backed store. CPU is
 * `process.cpuUsage()` (user + system, all threads: SQLite, file writes and V8's compiler
 * and GC threads included). A second session with a tiny output separates the archive's
 * share (hashing and writing 1 MiB), and a floor does the archive's file work with no engine.
 *
 * Measured in the steady state a long-running server is in. A fresh process first runs
 * `jitWarmup` chained turns (tiny outputs archived on a RAM disk: the same code paths, without
 * thousands of files to delete from the disk being measured), because V8 keeps optimizing the
 * engine's functions for the first few thousand turns — measured here, 202 optimizing
 * compilations between turn 300 and turn 2,300, on the compiler threads this figure counts.
 * What those first turns cost is reported beside it. The measured stores are new, but with
 * their 256 blob shard folders made, as an established store has them, and each block writes
 * into page cache memory freed just before it, as a server with a full page cache recycles its
 * own (lib/warmPageCache.ts: on this project's CI machines the host takes freed memory back
 * within seconds, and writing into it again costs about 2.3 ms of system CPU per MiB).
 *
 * The three are measured in interleaved rounds (1 MiB engine, tiny engine, floor, again), so
 * that a spell of interference from the virtual machine's host lands on all three alike, and
 * each figure is the median of its rounds' means: one disturbed round does not decide it.
 */
export async function benchEngineOverhead(options: EngineOverheadOptions = {}): Promise<BenchResult[]> {
  const turns = options.turns ?? 300;
  const warmup = options.warmup ?? 30;
  const rounds = Math.max(1, Math.min(options.rounds ?? 5, turns));
  const perRound = Math.floor(turns / rounds);
  const jitWarmup = Math.max(options.jitWarmup ?? 3000, COLD_TURNS);
  const png = await oneMebibytePng();
  const tiny = await testImage(16, 16);
  // Every folder stays until all the measurements are done: deleting hundreds of files
  // makes the next new files dearer on a journal-less ext4 (see lib/tempDir.ts).
  // The two measured engines and the floor archive into one folder: one set of 256 shard
  // folders to make and delete instead of three, and the same folders' costs for all three.
  const dirs = { big: tempDir('overhead'), tiny: tempDir('overhead-tiny'), blobs: tempDir('blobs'), newFiles: tempDir('new-files'), jitWarmUp: tempDir('jit-warm-up') };
  const blobsRoot = dirs.blobs.path;
  const ramDisk = ramDiskDir('jit-warm-up-blobs');
  const chains: Chain[] = [];
  const bigRounds: Block[] = [];
  const smallRounds: Block[] = [];
  const floorRounds: number[] = [];
  let cold: Block, newFile: number;
  let warmer: PageCacheWarmer | undefined;
  try {
    // Its thousands of files go to a RAM disk: deleted, they would make every later new file on
    // the measured disk dearer (see lib/tempDir.ts); to memory where there is no RAM disk.
    const warm = await openChain(tiny, 0, dirs.jitWarmUp, ramDisk?.path ?? null);
    try {
      cold = await warm.run(jitWarmup);
    } finally {
      await warm.close();
    }
    newFile = newEmptyFileCost(dirs.newFiles, 200);
    warmer = openPageCacheWarmer(dirs.big.path);
    // Every block writes into memory freed a moment before (see warmPageCache.ts): enough for
    // its 1 MiB images, and a margin for the store's own pages.
    const mebibytes = Math.max(warmup, perRound) + PAGE_CACHE_MARGIN_MIB;
    warmer.warm(mebibytes);
    const big = await openChain(png, warmup, dirs.big, blobsRoot);
    chains.push(big);
    const small = await openChain(tiny, warmup, dirs.tiny, blobsRoot);
    chains.push(small);
    const floor = openArchiveFloor(png, blobsRoot);
    for (let round = 0; round < rounds; round++) {
      warmer.warm(mebibytes);
      bigRounds.push(await big.run(perRound));
      warmer.warm(mebibytes);
      smallRounds.push(await small.run(perRound));
      warmer.warm(mebibytes);
      floorRounds.push(floor.run(perRound));
    }
  } finally {
    warmer?.close();
    for (const chain of chains) await chain.close();
    for (const dir of Object.values(dirs)) dir.remove();
    ramDisk?.remove();
  }
  const perTurn = (blocks: Block[]) => median(blocks.map((b) => b.cpuPerTurn));
  const listed = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');
  const bigCpu = perTurn(bigRounds);
  const smallCpu = perTurn(smallRounds);
  const floorCpu = median(floorRounds);
  const bigTurns = bigRounds.flatMap((b) => b.cpu);
  const bigWall = bigRounds.flatMap((b) => b.wall);
  const coldCpu = mean(cold.cpu.slice(0, COLD_TURNS));
  const note = `${rounds} rounds of ${perRound} chained turns, 1 MiB output each (${INSTANT_IMAGE_BYTES} B), on a new file-backed store (its blob shard folders made, shared with the tiny-output run and the floor) after ${warmup} warm-up, in a process that ran ${jitWarmup} turns first; round means ${listed(bigRounds.map((b) => b.cpuPerTurn))} ms; all ${bigTurns.length} turns: mean ${ms(mean(bigTurns))}, median ${ms(median(bigTurns))}, p90 ${ms(quantile(bigTurns, 0.9))}`;
  return [
    atMost(
      { id: 'engine-overhead.cpu-per-turn', name: 'Engine CPU per turn (instant provider, 1 MiB archived)', unit: 'ms', measured: bigCpu, shown: `${ms(bigCpu)} cpu (median of ${rounds} round means)`, note, caution: newFileCaution(newFile) },
      2,
      { strict: true },
    ),
    context({
      id: 'engine-overhead.jit-warm-up',
      name: `Engine CPU per turn while V8 still optimizes (first ${COLD_TURNS} warm-up turns, tiny output, ${ramDisk ? 'blobs on a RAM disk' : 'blobs in memory'})`,
      unit: 'ms',
      measured: coldCpu,
      shown: `${ms(coldCpu)} cpu (mean)`,
      note: `the start of the ${jitWarmup}-turn warm-up run before the measurements (the bench's first, in a fresh process); its last ${COLD_TURNS} turns: ${ms(mean(cold.cpu.slice(-COLD_TURNS)))}`,
    }),
    context({
      id: 'engine-overhead.cpu-per-turn-tiny-output',
      name: 'Engine CPU per turn, tiny output (store and chaining only)',
      unit: 'ms',
      measured: smallCpu,
      shown: `${ms(smallCpu)} cpu (median of ${rounds} round means)`,
      note: `same loop with a sub-KiB output, in the same rounds (means ${listed(smallRounds.map((b) => b.cpuPerTurn))} ms): the 1 MiB archive accounts for ${ms(bigCpu - smallCpu)} of the turn`,
    }),
    context({
      id: 'engine-overhead.archive-floor',
      name: 'Floor: sha256 + write + rename of 1 MiB, plain Node calls, no engine',
      unit: 'ms',
      measured: floorCpu,
      shown: `${ms(floorCpu)} cpu (median of ${rounds} round means)`,
      note: `${perRound} new files per round, in the same rounds (means ${listed(floorRounds)} ms): what the filesystem and the hash alone cost per 1 MiB image on this machine (the engine's archive does exactly this, streamed)`,
    }),
    context({
      id: 'engine-overhead.new-file',
      name: 'Context: one new empty file in the bench folder, plain Node calls',
      unit: 'µs',
      measured: newFile,
      shown: `${newFile.toFixed(0)} µs cpu (mean)`,
      note: `200 files, open + close: every turn makes one. At most ${QUIET_NEW_FILE_MICROS} µs on a disk nothing deleted many files from lately; far more after a deletion-heavy job on a journal-less ext4 (see bench/lib/tempDir.ts), and then every figure above carries it`,
    }),
    context({
      id: 'engine-overhead.wall-per-turn',
      name: 'Engine wall time per turn (instant provider, 1 MiB archived)',
      unit: 'ms',
      measured: median(bigWall),
      shown: `${ms(median(bigWall))} (median)`,
      note: `p90 ${ms(quantile(bigWall, 0.9))}`,
    }),
  ];
}
