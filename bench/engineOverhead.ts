import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore } from '../src/blobs/FileBlobStore.js';
import { MemoryBlobStore } from '../src/blobs/MemoryBlobStore.js';
import { SessionEngine } from '../src/engine/SessionEngine.js';
import { SessionStore } from '../src/store/SessionStore.js';
import { testImage } from '../test/support/images.js';
import { atMost, type BenchResult } from './lib/BenchResult.js';
import { createInstantProvider, INSTANT_ENDPOINT, INSTANT_IMAGE_BYTES, instantEndpoints, oneMebibytePng } from './lib/instantProvider.js';
import { mean, median, ms, quantile } from './lib/stats.js';
import { ramDiskDir, tempDir } from './lib/tempDir.js';
import { warmPageCache } from './lib/warmPageCache.js';

export interface EngineOverheadOptions {
  /** Measured turns per run. */
  turns?: number;
  /** Unmeasured turns at the start of each measured run (a new store's first writes). */
  warmup?: number;
  /** Turns a fresh process runs first, unmeasured, so that V8 has done optimizing the engine. */
  jitWarmup?: number;
}

/** The first turns of the JIT warm-up, reported for what they cost while V8 still compiles. */
const COLD_TURNS = 300;

interface Measured {
  /** CPU ms per turn (user + system), per turn and over the whole loop. */
  cpu: number[];
  cpuPerTurn: number;
  wall: number[];
  totalWallMs: number;
}

/**
 * Chained edits on a file-backed store with the instant provider answering `image` to every
 * job, blobs in files under `<dir>/blobs` — or under `blobsRoot` when given (the JIT warm-up
 * puts its thousands on a RAM disk: once deleted, they would make every later new file on
 * the measured disk dearer, see lib/tempDir.ts), or in memory when there is no RAM disk.
 */
async function measure(image: Buffer, turns: number, warmup: number, dir: { path: string }, options: { blobsRoot?: string | null } = {}): Promise<Measured> {
  const store = SessionStore.open(join(dir.path, 'kontext.db'));
  const provider = createInstantProvider(image);
  const blobsRoot = options.blobsRoot === undefined ? join(dir.path, 'blobs') : options.blobsRoot;
  if (blobsRoot) makeShardFolders(blobsRoot);
  const blobs = blobsRoot ? new FileBlobStore(blobsRoot) : new MemoryBlobStore();
  const engine = new SessionEngine({ store, blobs, providers: [provider], endpoints: instantEndpoints(), defaultEndpoint: INSTANT_ENDPOINT });
  try {
    const session = await engine.startSession({ image: await testImage() });
    for (let i = 0; i < warmup; i++) await engine.edit(session.id, `warm up ${i}`);
    const cpu: number[] = [];
    const wall: number[] = [];
    const totalCpu = process.cpuUsage();
    const totalStart = performance.now();
    for (let i = 0; i < turns; i++) {
      const before = process.cpuUsage();
      const started = performance.now();
      const turn = await engine.edit(session.id, `turn ${i}`);
      wall.push(performance.now() - started);
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000);
      if (turn.status !== 'succeeded') throw new Error(`turn ${i} ended ${turn.status}: ${turn.errorMessage}`);
    }
    const total = process.cpuUsage(totalCpu);
    return { cpu, cpuPerTurn: (total.user + total.system) / 1000 / turns, wall, totalWallMs: performance.now() - totalStart };
  } finally {
    await engine.close();
    store.close();
  }
}

/**
 * The floor under any archive of 1 MiB outputs on this machine: the same bytes hashed
 * (sha256) and written to a new file then renamed into its shard folder (all made first, as
 * for the engine's stores), with plain Node calls and no engine — the filesystem and the hash
 * alone, CPU per image (kernel included).
 */
function archiveFloor(image: Buffer, count: number, dir: { path: string }): number {
  makeShardFolders(dir.path);
  const trailer = Buffer.alloc(8);
  const write = (i: number) => {
    trailer.writeBigUInt64BE(BigInt(i));
    const hash = createHash('sha256').update(image).update(trailer).digest('hex');
    const tmp = join(dir.path, `.tmp-${i}`);
    const file = openSync(tmp, 'wx');
    writeSync(file, image);
    writeSync(file, trailer);
    closeSync(file);
    renameSync(tmp, join(dir.path, hash.slice(0, 2), hash.slice(2)));
  };
  for (let i = 0; i < 10; i++) write(count + i);
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) write(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
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
 * and GC threads included). A second run with a tiny output separates the archive's share
 * (hashing and writing 1 MiB).
 *
 * Measured in the steady state a long-running server is in. A fresh process first runs
 * `jitWarmup` chained turns (tiny outputs archived on a RAM disk: the same code paths, without
 * thousands of files to delete from the disk being measured), because V8 keeps optimizing the
 * engine's functions for the first few thousand turns — measured here, 202 optimizing
 * compilations between turn 300 and turn 2,300, on the compiler threads this figure counts.
 * What those first turns cost is reported beside it. The measured stores are new, but with
 * their 256 blob shard folders made, as an established store has them.
 */
export async function benchEngineOverhead(options: EngineOverheadOptions = {}): Promise<BenchResult[]> {
  const turns = options.turns ?? 300;
  const warmup = options.warmup ?? 30;
  const jitWarmup = Math.max(options.jitWarmup ?? 3000, COLD_TURNS);
  const png = await oneMebibytePng();
  const tiny = await testImage(16, 16);
  // Every folder stays until all the measurements are done: deleting hundreds of files
  // makes the next new files dearer on a journal-less ext4 (see lib/tempDir.ts).
  const dirs = [tempDir('overhead'), tempDir('overhead-tiny'), tempDir('floor'), tempDir('new-files'), tempDir('jit-warm-up')];
  const ramDisk = ramDiskDir('jit-warm-up-blobs');
  let cold: Measured, big: Measured, small: Measured, floor: number, newFile: number;
  try {
    cold = await measure(tiny, jitWarmup, 0, dirs[4]!, { blobsRoot: ramDisk?.path ?? null });
    // Enough for both 1 MiB runs (engine and floor, warm-up included): see warmPageCache.
    warmPageCache(dirs[0]!.path, 2 * (turns + warmup) + 20);
    newFile = newEmptyFileCost(dirs[3]!, 200);
    big = await measure(png, turns, warmup, dirs[0]!);
    small = await measure(tiny, turns, warmup, dirs[1]!);
    floor = archiveFloor(png, turns, dirs[2]!);
  } finally {
    for (const dir of dirs) dir.remove();
    ramDisk?.remove();
  }
  const coldCpu = mean(cold.cpu.slice(0, COLD_TURNS));
  const note = `${turns} chained turns on a new store (its blob shard folders made) after ${warmup} warm-up, in a process that ran ${jitWarmup} turns first, 1 MiB output each (${INSTANT_IMAGE_BYTES} B), file-backed store; cpu median ${ms(median(big.cpu))}, p90 ${ms(quantile(big.cpu, 0.9))}, mean ${ms(mean(big.cpu))}; wall median ${ms(median(big.wall))}, total ${ms(big.totalWallMs)}`;
  return [
    atMost({ id: 'engine-overhead.cpu-per-turn', name: 'Engine CPU per turn (instant provider, 1 MiB archived)', unit: 'ms', measured: big.cpuPerTurn, shown: `${ms(big.cpuPerTurn)} cpu (mean)`, note }, 2, { strict: true }),
    {
      id: 'engine-overhead.cold-process',
      name: `Engine CPU per turn while V8 still optimizes (first ${COLD_TURNS} warm-up turns, tiny output, ${ramDisk ? 'blobs on a RAM disk' : 'blobs in memory'})`,
      unit: 'ms',
      measured: coldCpu,
      shown: `${ms(coldCpu)} cpu (mean)`,
      target: '—',
      met: undefined,
      note: `the start of the ${jitWarmup}-turn warm-up run before the measurements (a fresh process when run alone; in the full bench, earlier benchmarks have warmed part of the engine); its last ${COLD_TURNS} turns: ${ms(mean(cold.cpu.slice(-COLD_TURNS)))}`,
    },
    {
      id: 'engine-overhead.cpu-per-turn-tiny-output',
      name: 'Engine CPU per turn, tiny output (store and chaining only)',
      unit: 'ms',
      measured: small.cpuPerTurn,
      shown: `${ms(small.cpuPerTurn)} cpu (mean)`,
      target: '—',
      met: undefined,
      note: `same loop with a sub-KiB output: the 1 MiB archive accounts for ${ms(big.cpuPerTurn - small.cpuPerTurn)} of the turn`,
    },
    {
      id: 'engine-overhead.archive-floor',
      name: 'Floor: sha256 + write + rename of 1 MiB, plain Node calls, no engine',
      unit: 'ms',
      measured: floor,
      shown: `${ms(floor)} cpu (mean)`,
      target: '—',
      met: undefined,
      note: `${turns} new files in a temp folder: what the filesystem and the hash alone cost per 1 MiB image on this machine (the engine's archive does exactly this, streamed)`,
    },
    {
      id: 'engine-overhead.new-file',
      name: 'Context: one new empty file in the bench folder, plain Node calls',
      unit: 'µs',
      measured: newFile,
      shown: `${newFile.toFixed(0)} µs cpu (mean)`,
      target: '—',
      met: undefined,
      note: `200 files, open + close: every turn makes one. About 25-30 µs on a disk nothing deleted many files from lately; far more after a deletion-heavy job on a journal-less ext4 (see bench/lib/tempDir.ts), and then every figure above carries it`,
    },
    {
      id: 'engine-overhead.wall-per-turn',
      name: 'Engine wall time per turn (instant provider, 1 MiB archived)',
      unit: 'ms',
      measured: median(big.wall),
      shown: `${ms(median(big.wall))} (median)`,
      target: '—',
      met: undefined,
      note: `p90 ${ms(quantile(big.wall, 0.9))}`,
    },
  ];
}
