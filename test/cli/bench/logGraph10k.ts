/**
 * How long `kontext log --graph` takes on a 10,000-turn session. Builds the session straight
 * through the store API (a main line of 8,000 turns and 40 branches of 50 forking off it),
 * then times the built CLI as a user runs it. Not a test: run it by hand after a build.
 *
 *   npx tsc -p . && npx tsx test/cli/bench/logGraph10k.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore } from '../../../src/blobs/FileBlobStore.js';
import { LOCAL_KONTEXT_SIM } from '../../../src/kontext/endpoints.js';
import { SessionStore } from '../../../src/store/SessionStore.js';
import type { TurnRow } from '../../../src/store/schema.js';
import { testImage } from '../../support/images.js';
import { CLI, cliEnv, requireBuiltCli } from '../support/cli.js';

const MAIN_TURNS = 8_000;
const BRANCHES = 40;
const BRANCH_TURNS = 50;
const RUNS = 5;

requireBuiltCli();
const dir = await mkdtemp(join(tmpdir(), 'kontext-bench-'));
const db = join(dir, 'kontext.db');
try {
  const built = performance.now();
  const store = SessionStore.open(db);
  const blobs = new FileBlobStore(join(dir, 'blobs'));
  const bytes = await testImage(64, 48);
  const { hash, size } = await blobs.put(bytes);
  await store.recordBlob({ hash, size, contentType: 'image/png', width: 64, height: 48 });
  const session = await store.createSession({ title: '10k turns', defaultEndpoint: LOCAL_KONTEXT_SIM });
  const output = { index: 0, providerUrl: null, blobHash: hash, width: 64, height: 48, contentType: 'image/png', nsfw: false };
  let n = 0;
  const add = async (parent: TurnRow | null): Promise<TurnRow> => {
    const turn = await store.appendTurn({
      sessionId: session.id,
      parentId: parent?.id ?? null,
      kind: parent ? 'edit' : 'source',
      endpointId: parent ? LOCAL_KONTEXT_SIM : null,
      provider: parent ? 'local' : null,
      prompt: parent ? `edit number ${n}` : null,
      params: parent ? { prompt: `edit number ${n}`, seed: n } : {},
      seedRequested: parent ? n : null,
      inputBlob: parent ? hash : null,
    });
    n++;
    return store.completeTurn(turn.id, [output], { seedUsed: n, costMicros: parent ? 40_000 : 0, finishedAt: new Date() });
  };
  const main: TurnRow[] = [await add(null)];
  while (main.length < MAIN_TURNS) main.push(await add(main.at(-1)!));
  for (let b = 0; b < BRANCHES; b++) {
    let tip = main[Math.floor(((b + 1) * MAIN_TURNS) / (BRANCHES + 1))]!;
    for (let i = 0; i < BRANCH_TURNS; i++) tip = await add(tip);
    await store.createRef(session.id, `branch-${b + 1}`, tip.id);
  }
  await store.createRef(session.id, 'main', main.at(-1)!.id);
  await store.setHead(session.id, main.at(-1)!.id, [], 'main');
  store.close();
  console.log(`built ${n} turns in ${((performance.now() - built) / 1000).toFixed(1)} s`);

  for (const args of [['log', '--graph'], ['log', '--graph', '--all'], ['--help']]) {
    const times: number[] = [];
    let lines = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const run = spawnSync(process.execPath, [CLI, '--db', db, '--session', session.id, ...args], { env: cliEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      times.push(performance.now() - started);
      if (run.status !== 0) throw new Error(`kontext ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
      lines = run.stdout.split('\n').length - 1;
    }
    times.sort((a, b) => a - b);
    console.log(`kontext ${args.join(' ')}: ${lines} lines; median ${times[Math.floor(RUNS / 2)]!.toFixed(0)} ms, best ${times[0]!.toFixed(0)} ms over ${RUNS} runs`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
