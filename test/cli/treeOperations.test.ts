import { createHash } from 'node:crypto';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/SessionStore.js';
import { requireBuiltCli, workspace, type SessionDoc, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

const HOUR = 60 * 60 * 1000;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The error document a refused `--json` command prints. */
function errorOf(run: { stdout: string; stderr: string }): { code: string; message: string } {
  return (JSON.parse(run.stdout || run.stderr) as { error: { code: string; message: string } }).error;
}

/**
 * Writes an unfinished turn straight into the database, leased to this (live) test process:
 * the CLI's resume leaves it alone, as it would a turn another `kontext` is running.
 */
async function runningTurnIn(db: string, sessionId: string, parentId: string): Promise<string> {
  const store = SessionStore.open(db);
  try {
    const turn = await store.appendTurn(
      { sessionId, parentId, kind: 'edit', endpointId: 'local/kontext-sim', provider: 'local', prompt: 'make it night' },
      { lease: { owner: `${hostname()}:${process.pid}:test`, ttlMs: HOUR } },
    );
    return turn.id;
  } finally {
    store.close();
  }
}

describe('kontext fork', () => {
  it('copies the path to a new session and makes it current; --whole copies every branch; the source stays as it was', async () => {
    ws = await workspace();
    const { session } = await ws.json<{ session: SessionDoc }>(['new', ws.image, '--title', 'kitchen']);
    const { turn: a } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1']);
    const { turn: b } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it night', '--seed', '2']);

    const text = await ws.run(['fork', 'HEAD~1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('forked 2 turn(s)');
    expect(text.stdout).toContain('"kitchen (fork)"');
    const log = await ws.json<{ session: SessionDoc; turns: { id: string; prompt: string | null; costMicros: number; origin: string | null }[] }>(['log']);
    expect(log.session.id).not.toBe(session.id);
    expect(log.turns.map((t) => [t.prompt, t.costMicros, t.origin])).toEqual([
      [null, 0, 'fork'],
      ['make it red', 0, 'fork'],
    ]);

    const whole = await ws.json<{ session: SessionDoc; head: TurnDoc; turnIds: Record<string, string>; skipped: string[] }>(['--session', session.id, 'fork', b.id, '--whole', '--title', 'all of it']);
    expect(whole.session).toMatchObject({ title: 'all of it', headRef: 'main' });
    expect(whole.head).toMatchObject({ originTurnId: b.id, image: expect.any(String) });
    expect(Object.keys(whole.turnIds)).toContain(a.id);
    expect(whole.skipped).toEqual([]);
    // Images are shared: the copy's picture is the same archived file.
    expect(whole.head.outputs[0]!.hash).toBe(b.outputs[0]!.hash);
    const sessions = await ws.json<{ sessions: SessionDoc[] }>(['sessions']);
    expect(sessions.sessions).toHaveLength(3);
  });

  it('refuses an unknown turn (NOT_FOUND, exit 2), a running one (CONFLICT, exit 1) and a too-long title, making no session', async () => {
    ws = await workspace();
    const { session, root } = await ws.json<{ session: SessionDoc; root: TurnDoc }>(['new', ws.image]);
    const running = await runningTurnIn(ws.db, session.id, root.id);
    // A turn name that names nothing is a usage error, as everywhere in the CLI (exit 2).
    const unknown = await ws.run(['fork', 'zzzzzzzz', '--json']);
    expect(unknown.code).toBe(2);
    expect(errorOf(unknown).code).toBe('NOT_FOUND');
    const busy = await ws.run(['fork', running, '--json']);
    expect(busy.code).toBe(1);
    expect(errorOf(busy)).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('still running') });
    const long = await ws.run(['fork', root.id, '--title', 'x'.repeat(201), '--json']);
    expect(long.code).not.toBe(0);
    expect(errorOf(long)).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('title') });
    expect((await ws.json<{ sessions: SessionDoc[] }>(['sessions'])).sessions).toHaveLength(1);
  });
});

describe('kontext pin, unpin, pins', () => {
  it('pins a turn, lists it and marks it in the log; unpin takes it off; a running turn is refused', async () => {
    ws = await workspace();
    const { session } = await ws.json<{ session: SessionDoc }>(['new', ws.image]);
    const { turn: a } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1']);
    const { turn: b } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it night', '--seed', '2']);

    expect((await ws.json<{ turn: TurnDoc }>(['pin', 'HEAD'])).turn).toMatchObject({ id: b.id, pinned: true });
    expect((await ws.json<{ turn: TurnDoc }>(['pin', a.id.slice(0, 6)])).turn).toMatchObject({ id: a.id, pinned: true });
    expect((await ws.json<{ turns: TurnDoc[] }>(['pins'])).turns.map((t) => t.id)).toEqual([b.id, a.id]);
    const log = await ws.run(['log']);
    expect(log.stdout.split('\n').filter((l) => l.includes('· pinned'))).toHaveLength(2);
    expect((await ws.json<{ turns: { id: string; pinned: boolean }[] }>(['log'])).turns.filter((t) => t.pinned).map((t) => t.id).sort()).toEqual([a.id, b.id].sort());

    expect((await ws.json<{ turn: TurnDoc }>(['unpin', 'HEAD'])).turn.pinned).toBe(false);
    expect((await ws.json<{ turns: TurnDoc[] }>(['pins'])).turns.map((t) => t.id)).toEqual([a.id]);

    const running = await runningTurnIn(ws.db, session.id, b.id);
    const refused = await ws.run(['pin', running, '--json']);
    expect(refused.code).toBe(1);
    expect(errorOf(refused).code).toBe('CONFLICT');
    const unknown = await ws.run(['pin', 'zzzzzzzz', '--json']);
    expect(unknown.code).toBe(2);
    expect(errorOf(unknown).code).toBe('NOT_FOUND');
  });
});

describe('kontext gc', () => {
  it('a dry run unless --yes: removes the image a deleted turn left and an old temp file, keeps a fresh temp file and every image in use', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1']);
    const { turn: night } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it night', '--seed', '2']);
    await ws.json(['rm', night.id]);
    const archive = join(dirname(ws.db), 'blobs');
    const orphan = join(archive, night.outputs[0]!.hash.slice(0, 2), night.outputs[0]!.hash.slice(2));
    const old = join(archive, '.tmp-killed-write');
    const fresh = join(archive, '.tmp-live-write');
    writeFileSync(old, Buffer.alloc(2048));
    writeFileSync(fresh, Buffer.alloc(16));
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    for (const path of [orphan, old]) utimesSync(path, twoHoursAgo, twoHoursAgo);
    const orphanBytes = readFileSync(orphan).length;

    const dry = await ws.run(['gc']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would free 1 unreferenced image(s), ${orphanBytes} bytes`);
    expect(dry.stdout).toContain('1 temp file(s) of killed writes, 2048 bytes');
    expect(dry.stdout).toContain('kontext gc --yes');
    expect([existsSync(orphan), existsSync(old)]).toEqual([true, true]);

    const done = await ws.json<{ gc: { dryRun: boolean; blobs: { count: number; bytes: number; hashes: string[] }; temporary: { count: number; bytes: number } } }>(['gc', '--yes']);
    expect(done.gc).toMatchObject({ dryRun: false, blobs: { count: 1, bytes: orphanBytes, hashes: [night.outputs[0]!.hash] }, temporary: { count: 1, bytes: 2048 } });
    expect([existsSync(orphan), existsSync(old), existsSync(fresh)]).toEqual([false, false, true]);

    const again = await ws.run(['gc', '--yes']);
    expect(again.stdout).toContain('freed 0 unreferenced image(s), 0 bytes, and 0 temp file(s)');
    const tree = await ws.json<{ turns: { id: string }[] }>(['log', '--all']);
    for (const { id } of tree.turns) {
      const { turn } = await ws.json<{ turn: TurnDoc }>(['show', id]);
      for (const output of turn.outputs) expect(sha256(readFileSync(output.url))).toBe(output.hash);
    }
  });
});
