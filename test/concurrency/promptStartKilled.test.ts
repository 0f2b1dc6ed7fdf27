import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SessionStore } from '../../src/store/SessionStore.js';
import { spawnLineChild } from '../support/lineChild.js';
import { testTempDir } from '../support/testTempDir.js';

const CHILD = fileURLToPath(new URL('../support/promptStartChild.ts', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** `<table> <op>` of each row write the child reported, in order. */
  writes: string[];
  sessionId?: string;
}

async function startFromPrompt(dbFile: string, blobDir: string, killAt?: number): Promise<Run> {
  const child = spawnLineChild(['--import', 'tsx', CHILD, JSON.stringify({ dbFile, blobDir, killAt })]);
  onTestFinished(() => child.kill());
  const { code, signal } = await child.exited;
  if (signal === null && code !== 0) throw new Error(`the prompt start exited ${code}\n${child.stderr()}`);
  const writes = child.lines.flatMap((line) => line.match(/^WRITE \d+ (\w+ \w+)$/)?.slice(1) ?? []);
  const sessionId = child.lines.flatMap((line) => line.match(/^STARTED (\S+)$/)?.slice(1) ?? [])[0];
  return { code, signal, writes, sessionId };
}

/**
 * What is in the database, per session: the root turns, the branches and where HEAD is. A
 * complete start reads `{ roots: 1, main: 'root', head: 'root', headRef: 'main' }`.
 */
async function sessionsIn(dbFile: string) {
  const store = SessionStore.open(dbFile);
  try {
    return await Promise.all(
      (await store.listSessions()).map(async (session) => {
        const roots = (await store.listTurns(session.id)).filter((t) => t.parentId === null);
        const main = (await store.listRefs(session.id)).find((r) => r.name === 'main');
        const name = (id: string | null | undefined) => (id === undefined || id === null ? null : id === roots[0]?.id ? 'root' : id);
        return { roots: roots.length, main: name(main?.turnId), head: name(session.headTurnId), headRef: session.headRef };
      }),
    );
  } finally {
    store.close();
  }
}

const COMPLETE = { roots: 1, main: 'root', head: 'root', headRef: 'main' };

describe('a session started from a prompt, killed midway', () => {
  it('leaves no session or a complete one (root turn, branch main, HEAD attached), wherever it is killed', async () => {
    const dir = testTempDir('kontext-prompt-kill-');

    // Unkilled, the start leaves one complete session; its row writes are the kill points.
    const whole = await startFromPrompt(join(dir, 'whole', 'kontext.db'), join(dir, 'whole', 'blobs'));
    expect(whole).toMatchObject({ code: 0, signal: null, sessionId: expect.any(String) });
    expect(await sessionsIn(join(dir, 'whole', 'kontext.db'))).toEqual([COMPLETE]);

    // Killed at each of its writes (a fresh database each time): the start never got further
    // than the commits before that write.
    const seen: { killedAt: string; sessions: Awaited<ReturnType<typeof sessionsIn>> }[] = [];
    for (let k = 1; k <= whole.writes.length; k++) {
      const dbFile = join(dir, `kill-${k}`, 'kontext.db');
      const run = await startFromPrompt(dbFile, join(dir, `kill-${k}`, 'blobs'), k);
      const killedAt = `write ${k} of ${whole.writes.length} (${run.writes.at(-1)})`;
      expect(run.signal, `the start was killed at ${killedAt}`).toBe('SIGKILL');
      const sessions = await sessionsIn(dbFile);
      seen.push({ killedAt, sessions });
      expect.soft(sessions.filter((s) => JSON.stringify(s) !== JSON.stringify(COMPLETE)), `sessions left by a kill at ${killedAt}`).toEqual([]);
    }
    // The first kill lands on the session's own insert: nothing was committed, nothing is left.
    expect(seen[0]!.sessions).toEqual([]);
  }, 240_000);
});
