import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FileBlobStore } from '../../src/blobs/FileBlobStore.js';
import { LOCAL_KONTEXT_SIM } from '../../src/kontext/endpoints.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import type { HeadMoveCommand, HeadMoveReport } from '../support/headMoverChild.js';
import { testImage } from '../support/images.js';
import { spawnLineChild, type LineChild } from '../support/lineChild.js';
import { testTempDir } from '../support/testTempDir.js';

const CHILD = fileURLToPath(new URL('../support/headMoverChild.ts', import.meta.url));
/** Moves each process makes per phase. */
const MOVES = 200;
/** Edits below the root: more than the 2 × MOVES the undos take, so a move too many shows as well as one too few. */
const CHAIN = 2 * MOVES + 50;

/**
 * A session whose tree is one line, root → CHAIN succeeded edits, written straight into the
 * store as finished turns (400-odd provider runs would only slow the test down). HEAD is left
 * wherever the store puts it. Returns the ids, root first.
 */
async function linearSession(dbFile: string, blobDir: string): Promise<{ sessionId: string; chain: string[] }> {
  const store = SessionStore.open(dbFile);
  try {
    const bytes = await testImage(32, 24);
    const { hash, size } = await new FileBlobStore(blobDir).put(bytes);
    await store.recordBlob({ hash, size, contentType: 'image/png', width: 32, height: 24 });
    const image = { index: 0, providerUrl: null, blobHash: hash, width: 32, height: 24, contentType: 'image/png', nsfw: false };
    const { session, root } = await store.createSessionFromImage({ title: 'head moves', defaultEndpoint: LOCAL_KONTEXT_SIM }, image);
    const chain = [root.id];
    for (let i = 1; i <= CHAIN; i++) {
      const turn = { sessionId: session.id, parentId: chain.at(-1)!, kind: 'edit' as const, endpointId: LOCAL_KONTEXT_SIM, provider: 'local', prompt: `step ${i}` };
      chain.push((await store.appendTurn(turn, { complete: { outputs: [image] } })).id);
    }
    return { sessionId: session.id, chain };
  } finally {
    store.close();
  }
}

/** Sends the same command to every mover at once and collects their reports. */
async function allAtOnce(movers: readonly LineChild[], command: HeadMoveCommand): Promise<HeadMoveReport[]> {
  // Only a DONE printed after this command is its answer.
  const reports = movers.map((m) => m.line(/^DONE (.*)$/, m.lines.length));
  for (const m of movers) m.send(JSON.stringify(command));
  return (await Promise.all(reports)).map((match) => JSON.parse(match[1]!) as HeadMoveReport);
}

/** Each process's errors as `N× message` (a busy database is a failure too), then each one's count of moves that went through. */
function outcome(reports: readonly HeadMoveReport[]): { errors: string[]; moved: number[] } {
  const errors = reports.flatMap((r, i) => {
    const counts = new Map<string, number>();
    for (const e of r.errors) counts.set(e, (counts.get(e) ?? 0) + 1);
    return [...counts].map(([message, n]) => `process ${i}: ${n}× ${message}`);
  });
  return { errors, moved: reports.map((r) => r.moved) };
}

/**
 * A redo stack as the depths of its turns, runs of consecutive depths written `a→b`: the
 * 400-turn stack after the undos reads `450→51`, and a lost or doubled move shows as a seam.
 */
function depths(stack: readonly string[], chain: readonly string[]): string {
  const runs: [number, number][] = [];
  for (const depth of stack.map((id) => chain.indexOf(id))) {
    const run = runs.at(-1);
    if (run && Math.abs(depth - run[1]) === 1 && (run[0] === run[1] || Math.sign(depth - run[1]) === Math.sign(run[1] - run[0]))) run[1] = depth;
    else runs.push([depth, depth]);
  }
  return runs.map(([a, b]) => (a === b ? `${a}` : `${a}→${b}`)).join(', ');
}

describe('HEAD moves from two processes on one database', () => {
  it('loses no undo, redo or checkout: HEAD and the redo stack end as after some serial order', async () => {
    const dir = testTempDir('kontext-head-moves-');
    const dbFile = join(dir, 'kontext.db');
    const blobDir = join(dir, 'blobs');
    const { sessionId, chain } = await linearSession(dbFile, blobDir);
    const leaf = chain.length - 1;

    const movers = [0, 1].map(() => spawnLineChild(['--import', 'tsx', CHILD, JSON.stringify({ dbFile, blobDir, sessionId })]));
    onTestFinished(async () => void (await Promise.all(movers.map((m) => m.kill()))));
    await Promise.all(movers.map((m) => m.line(/^READY$/)));

    const store = SessionStore.open(dbFile);
    onTestFinished(() => store.close());
    // HEAD detached at the leaf: no branch moves along, so HEAD and the redo stack are the whole state.
    const [detached] = await allAtOnce([movers[0]!], { move: 'checkout', ref: chain[leaf]!, count: 1 });
    expect(detached).toEqual({ moved: 1, errors: [] });
    expect(await store.getSession(sessionId)).toMatchObject({ headTurnId: chain[leaf], headRef: null, redoStack: [] });

    // Undo commutes with undo: whatever the interleaving, a serial order of 400 undos leaves
    // HEAD 400 turns up and the redo stack holding the turns left, the leaf first.
    const undone = await allAtOnce(movers, { move: 'undo', count: MOVES });
    expect.soft(outcome(undone)).toEqual({ errors: [], moved: [MOVES, MOVES] });
    const afterUndo = await store.getSession(sessionId);
    expect.soft(chain.indexOf(afterUndo.headTurnId!), 'HEAD depth after 2 × 200 undos').toBe(leaf - 2 * MOVES);
    expect.soft(depths(afterUndo.redoStack, chain), 'redo stack after the undos (depths)').toBe(`${leaf}→${leaf - 2 * MOVES + 1}`);
    expect.soft(afterUndo.headRef).toBeNull();

    // Redo commutes with redo: 400 of them take HEAD back to the leaf and empty the stack.
    const redone = await allAtOnce(movers, { move: 'redo', count: MOVES });
    expect.soft(outcome(redone)).toEqual({ errors: [], moved: [MOVES, MOVES] });
    const afterRedo = await store.getSession(sessionId);
    expect.soft(chain.indexOf(afterRedo.headTurnId!), 'HEAD depth after 2 × 200 redos').toBe(leaf);
    expect.soft(depths(afterRedo.redoStack, chain), 'redo stack after the redos (depths)').toBe('');

    // A checkout worked out from HEAD (`HEAD~1`) is one step up whoever moved HEAD last.
    const checkedOut = await allAtOnce(movers, { move: 'checkout', ref: 'HEAD~1', count: MOVES });
    expect.soft(outcome(checkedOut)).toEqual({ errors: [], moved: [MOVES, MOVES] });
    const afterCheckout = await store.getSession(sessionId);
    expect.soft(chain.indexOf(afterCheckout.headTurnId!), 'HEAD depth after 2 × 200 checkouts of HEAD~1').toBe(leaf - 2 * MOVES);
    expect.soft(depths(afterCheckout.redoStack, chain), 'redo stack after the checkouts (depths)').toBe('');
    expect.soft(afterCheckout.headRef).toBeNull();

    for (const m of movers) m.send('EXIT');
    expect(await Promise.all(movers.map((m) => m.exited))).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  }, 240_000);
});
