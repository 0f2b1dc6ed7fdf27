import { once } from 'node:events';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnFalTestServer, type FalTestServerProcess } from '../support/falTestServerProcess.js';
import { cliEnv, requireBuiltCli, spawnCli, waitForLine, workspace, type SessionDoc, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

// A key shaped like fal's (`<id>:<secret>`), so both halves can be looked for in the output.
const KEY = 'cli-test-id:cli-test-secret-5f1e2d3c4b';
const SECRET = KEY.split(':')[1]!;

let ws: Workspace | undefined;
let fal: FalTestServerProcess | undefined;
afterEach(async () => {
  await fal?.stop();
  await ws?.remove();
  fal = undefined;
  ws = undefined;
});

/** The CLI's env pointed at the fal-compatible test server on 127.0.0.1, and nowhere else. */
function falEnv(server: FalTestServerProcess, key = server.key): NodeJS.ProcessEnv {
  return cliEnv({ FAL_KEY: key, FAL_QUEUE_URL: server.queueUrl, FAL_RUN_URL: server.runUrl, FAL_STORAGE_URL: server.storageUrl });
}

/** Starts an edit that fal takes a while to finish, waits until fal has accepted it, and SIGKILLs the CLI. */
async function killedEdit(server: FalTestServerProcess, workspaceDir: Workspace): Promise<{ turnPrefix: string }> {
  const child = spawnCli(['--db', workspaceDir.db, 'edit', 'make it night', '--seed', '5'], { cwd: workspaceDir.dir, env: falEnv(server) });
  // "submitted" is printed after the request id is stored, i.e. after fal answered the submit.
  const [, turnPrefix] = await waitForLine(child, 'stderr', /^turn (\S+): submitted/);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
  return { turnPrefix: turnPrefix! };
}

interface LogDoc {
  session: { headTurnId: string; headRef: string | null };
  branches: { name: string; turnId: string; attached: boolean }[];
}

describe('kontext on fal (a fal-compatible test server on 127.0.0.1)', () => {
  it('a SIGKILLed edit is completed by `kontext resume` by its request id, with exactly one submission', async () => {
    fal = await spawnFalTestServer({ key: KEY, queueMs: 50, inProgressMs: 5000, logIntervalMs: 250 });
    ws = await workspace();
    const env = falEnv(fal);
    const started = await ws.json<{ session: SessionDoc & { defaultEndpoint: string } }>(['new', ws.image], 0, env);
    expect(started.session.defaultEndpoint).toBe('fal-ai/flux-pro/kontext');

    const { turnPrefix } = await killedEdit(fal, ws);
    const accepted = (await fal.log()).submissions;
    expect(accepted).toHaveLength(1);

    const resumed = await ws.run(['resume', '--json'], env);
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as { resumed: TurnDoc[] };
    expect(report.resumed).toHaveLength(1);
    const turn = report.resumed[0]!;
    expect(turn.id.startsWith(turnPrefix)).toBe(true);
    expect(turn).toMatchObject({ status: 'succeeded', requestId: accepted[0]!.requestId, prompt: 'make it night', seedUsed: 5 });
    expect(turn.outputs).toHaveLength(1);

    // Paid once: the server saw one submission in all, and the turn is HEAD with its image archived.
    expect((await fal.log()).submissions).toHaveLength(1);
    const opened = await ws.json<{ turn: string; path: string }>(['open', 'HEAD'], 0, env);
    expect(opened.turn).toBe(turn.id);
    expect(await ws.json<{ resumed: unknown[] }>(['resume'], 0, env)).toMatchObject({ resumed: [] });
    for (const text of [resumed.stdout, resumed.stderr]) expect(text).not.toContain(SECRET);
  }, 120_000);

  it('any next command completes a SIGKILLed edit first, and says so on stderr', async () => {
    fal = await spawnFalTestServer({ key: KEY, queueMs: 50, inProgressMs: 4000, logIntervalMs: 250 });
    ws = await workspace();
    const env = falEnv(fal);
    await ws.json(['new', ws.image], 0, env);
    const { turnPrefix } = await killedEdit(fal, ws);

    const log = await ws.run(['log', '--json'], env);
    expect(log.code).toBe(0);
    expect(log.stderr).toContain(`resumed turn ${turnPrefix}`);
    const doc = JSON.parse(log.stdout) as { turns: { id: string; status: string; head: boolean }[] };
    expect(doc.turns.at(-1)).toMatchObject({ status: 'succeeded', head: true });
    expect(doc.turns.at(-1)!.id.startsWith(turnPrefix)).toBe(true);
    expect((await fal.log()).submissions).toHaveLength(1);
  }, 120_000);

  it('a job fal fails exits 1 with the reason on one line', async () => {
    fal = await spawnFalTestServer({ key: KEY });
    ws = await workspace();
    const env = falEnv(fal);
    await ws.json(['new', ws.image], 0, env);
    await fal.pushFaults({ on: 'job', kind: 'fail', status: 422, detail: [{ loc: ['body', 'prompt'], msg: 'prompt refused by the test server', type: 'value_error' }] });
    const edit = await ws.run(['edit', 'make it night', '--json'], env);
    expect(edit.code).toBe(1);
    expect((JSON.parse(edit.stdout) as { turn: TurnDoc }).turn.status).toBe('failed');
    expect(edit.stderr).toMatch(/^kontext edit: turn \S+ failed: PROVIDER: .*prompt refused by the test server/m);
  }, 60_000);

  it('a turn over the session budget exits 1 before anything is submitted', async () => {
    fal = await spawnFalTestServer({ key: KEY });
    ws = await workspace();
    const env = falEnv(fal);
    await ws.json(['new', ws.image, '--budget', '0.01'], 0, env);
    const edit = await ws.run(['edit', 'make it night'], env);
    expect(edit.code).toBe(1);
    expect(edit.stderr).toContain('would exceed the session budget of $0.0100');
    expect((await fal.log()).submissions).toHaveLength(0);
  }, 60_000);

  it('never prints the key, even when the server echoes it back', async () => {
    fal = await spawnFalTestServer({ key: 'server-id:server-secret-0a9b8c7d6e' });
    ws = await workspace();
    // The server answers a wrong key with 401 "Invalid credentials: <the key it was given>".
    const wrongKey = 'wrong-id:wrong-secret-1f2e3d4c5b';
    const env = falEnv(fal, wrongKey);
    await ws.json(['new', ws.image], 0, env);
    for (const extra of [[], ['--json'], ['--debug']]) {
      const edit = await ws.run(['edit', 'make it night', ...extra], env);
      expect(edit.code).toBe(1);
      expect(edit.stderr).toContain('kontext edit: turn');
      expect(edit.stderr).toContain('AUTH');
      for (const text of [edit.stdout, edit.stderr]) {
        expect(text).not.toContain('wrong-secret-1f2e3d4c5b');
        expect(text).not.toContain(wrongKey);
      }
    }
    expect((await fal.log()).requests.some((r) => r.auth === 'invalid')).toBe(true);
  }, 90_000);

  it('an edit that fails leaves main and HEAD on the last good turn: the next edit, and `--from main`, continue main', async () => {
    fal = await spawnFalTestServer({ key: KEY });
    ws = await workspace();
    const env = falEnv(fal);
    await ws.json(['new', ws.image], 0, env);
    const good = (await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1'], 0, env)).turn;

    await fal.pushFaults({ on: 'job', kind: 'fail', status: 500 });
    const failed = await ws.run(['edit', 'make it night', '--seed', '2', '--json'], env);
    expect(failed.code).toBe(1);
    expect((JSON.parse(failed.stdout) as { turn: TurnDoc }).turn.status).toBe('failed');

    const log = await ws.json<LogDoc>(['log', '--all'], 0, env);
    expect(log.session).toMatchObject({ headTurnId: good.id, headRef: 'main' });
    expect(log.branches).toEqual([{ name: 'main', turnId: good.id, attached: true }]);

    const next = (await ws.json<{ turn: TurnDoc }>(['edit', 'make it winter', '--seed', '3'], 0, env)).turn;
    expect(next).toMatchObject({ status: 'succeeded', parentId: good.id });
    const fromMain = (await ws.json<{ turn: TurnDoc }>(['edit', 'add snow', '--seed', '4', '--from', 'main'], 0, env)).turn;
    expect(fromMain).toMatchObject({ status: 'succeeded', parentId: next.id });
    expect((await ws.json<LogDoc>(['log'], 0, env)).branches).toEqual([{ name: 'main', turnId: fromMain.id, attached: true }]);
  }, 90_000);
});
