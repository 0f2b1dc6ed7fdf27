import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, requireBuiltCli, workspace, type SessionDoc, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

describe('a whole session on the local provider', () => {
  it('new, three chained edits, branch, undo/redo, checkout, replay, what-if, export and import into another database', async () => {
    ws = await workspace();
    const started = await ws.json<{ session: SessionDoc; root: TurnDoc; current: string }>(['new', ws.image, '--title', 'kitchen']);
    expect(started.current).toBe(started.session.id);
    expect(started.root.status).toBe('succeeded');
    expect(existsSync(started.root.image!)).toBe(true);
    // The archive lives beside the database.
    expect(started.root.image!.startsWith(join(ws.dir, 'data', 'blobs'))).toBe(true);

    // Three edits, each chained on the previous turn's picked image.
    const prompts = ['put a donut next to the flour', 'make it night', "add text 'DONUT TIME'"];
    const edits: TurnDoc[] = [];
    for (const [i, prompt] of prompts.entries()) {
      const { turn } = await ws.json<{ turn: TurnDoc }>(['edit', prompt, '--seed', String(10 + i)]);
      expect(turn.status).toBe('succeeded');
      expect(turn.parentId).toBe(i === 0 ? started.root.id : edits[i - 1]!.id);
      expect(turn.seedUsed).toBe(10 + i);
      expect(existsSync(turn.image!)).toBe(true);
      edits.push(turn);
    }
    const [first, second, third] = edits as [TurnDoc, TurnDoc, TurnDoc];

    // A short unique prefix names a turn, like a git hash.
    const shown = await ws.json<{ turn: TurnDoc }>(['show', second.id.slice(0, 6)]);
    expect(shown.turn.id).toBe(second.id);

    // branch at HEAD~1, undo/redo, checkout of the branch.
    await ws.json(['branch', 'idea', 'HEAD~1']);
    const listed = await ws.json<{ branches: { name: string; turnId: string; attached: boolean }[] }>(['branch']);
    expect(listed.branches).toEqual(
      expect.arrayContaining([
        { name: 'idea', turnId: second.id, attached: false },
        { name: 'main', turnId: third.id, attached: true },
      ]),
    );
    expect((await ws.json<{ session: SessionDoc }>(['undo'])).session.headTurnId).toBe(second.id);
    expect((await ws.json<{ session: SessionDoc }>(['undo'])).session.headTurnId).toBe(first.id);
    expect((await ws.json<{ session: SessionDoc }>(['redo'])).session.headTurnId).toBe(second.id);
    expect((await ws.json<{ session: SessionDoc }>(['redo'])).session.headTurnId).toBe(third.id);
    const checkedOut = await ws.json<{ session: SessionDoc }>(['checkout', 'idea']);
    expect(checkedOut.session).toMatchObject({ headTurnId: second.id, headRef: 'idea' });

    // An edit from the branch tip forks off main's path; main is untouched.
    const { turn: fork } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it winter', '--seed', '7']);
    expect(fork.parentId).toBe(second.id);
    const afterFork = await ws.json<{ branches: { name: string; turnId: string }[] }>(['branch']);
    expect(afterFork.branches).toEqual(expect.arrayContaining([{ name: 'idea', turnId: fork.id, attached: true }, { name: 'main', turnId: third.id, attached: false }]));

    // Exact replay of main: new turns with the same images, no provider call.
    const replay = await ws.json<{ branch: string; tip: string; steps: { original: string; replayed: string; status: string }[]; providerCalls: number }>([
      'replay',
      'main',
      '--branch',
      'main-again',
    ]);
    expect(replay.branch).toBe('main-again');
    expect(replay.providerCalls).toBe(0);
    expect(replay.steps.map((s) => s.original)).toEqual([first.id, second.id, third.id]);
    const replayedTip = await ws.json<{ turn: TurnDoc }>(['show', replay.tip]);
    expect(replayedTip.turn).toMatchObject({ originKind: 'replay-exact', originTurnId: third.id });
    expect(readFileSync(replayedTip.turn.image!).equals(readFileSync(third.image!))).toBe(true);

    // What-if on the second edit: the dry run writes nothing, the real one rebuilds its subtree.
    const before = await ws.json<{ turns: unknown[] }>(['log', '--all']);
    const plan = await ws.json<{ dryRun: boolean; plan: { original: string }[]; mapping: Record<string, string> }>(['whatif', second.id, 'make it dawn', '--dry-run']);
    expect(plan.dryRun).toBe(true);
    expect(plan.plan.map((p) => p.original).sort()).toEqual([second.id, third.id, fork.id].sort());
    expect(plan.mapping).toEqual({});
    expect((await ws.json<{ turns: unknown[] }>(['log', '--all'])).turns).toHaveLength(before.turns.length);
    const whatIf = await ws.json<{ mapping: Record<string, string>; branches: Record<string, string>; failed: string[] }>(['whatif', second.id, 'make it dawn']);
    expect(whatIf.failed).toEqual([]);
    expect(Object.keys(whatIf.mapping).sort()).toEqual([second.id, third.id, fork.id].sort());
    expect(whatIf.branches).toMatchObject({ main: 'main-whatif', idea: 'idea-whatif' });
    const changed = await ws.json<{ turn: TurnDoc }>(['show', whatIf.mapping[second.id]!]);
    expect(changed.turn).toMatchObject({ prompt: 'make it dawn', parentId: first.id, originKind: 'whatif', originTurnId: second.id });
    const all = await ws.json<{ turns: { id: string }[] }>(['log', '--all']);
    expect(all.turns).toHaveLength(before.turns.length + 3);

    // Export, then import into another database: same session, same tree, same images.
    const bundle = join(ws.dir, 'kitchen.kontext.tgz');
    const exported = await ws.json<{ file: string; turns: number }>(['export', bundle]);
    expect(exported.turns).toBe(all.turns.length);
    const otherDb = join(ws.dir, 'elsewhere', 'other.db');
    const imported = await ws.json<{ sessionId: string; alreadyPresent: boolean }>(['--db', otherDb, 'import', bundle]);
    expect(imported).toMatchObject({ sessionId: started.session.id, alreadyPresent: false });
    const there = await ws.json<{ turns: { id: string }[] }>(['--db', otherDb, 'log', '--all']);
    expect(there.turns.map((t) => t.id).sort()).toEqual(all.turns.map((t) => t.id).sort());
    const opened = await ws.json<{ path: string }>(['--db', otherDb, 'open', third.id]);
    expect(opened.path.startsWith(join(ws.dir, 'elsewhere', 'blobs'))).toBe(true);
    expect(readFileSync(opened.path).equals(readFileSync(third.image!))).toBe(true);
    // Importing the same bundle again changes nothing.
    expect((await ws.json<{ alreadyPresent: boolean }>(['--db', otherDb, 'import', bundle])).alreadyPresent).toBe(true);
  }, 240_000);

  it('log --graph draws lanes with HEAD and the branch names, newest first', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    await ws.json(['edit', 'make it red', '--seed', '1']);
    await ws.json(['edit', 'make it night', '--seed', '2']);
    await ws.json(['branch', 'winter', 'HEAD~1']);
    await ws.json(['checkout', 'winter']);
    await ws.json(['edit', 'make it winter', '--seed', '3']);

    const graph = await ws.run(['log', '--graph', '--all']);
    expect(graph.code).toBe(0);
    const lines = graph.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5); // four turns and one fork line
    for (const line of lines) expect(line).toMatch(/^[*|]/);
    expect(lines[0]).toMatch(/^\* \S+ \(HEAD -> winter\) make it winter/);
    expect(lines.some((l) => /^\| \* \S+ \(main\) make it night/.test(l))).toBe(true);
    expect(lines).toContain('|/');
    expect(lines.at(-1)).toMatch(/^\* \S+ \[source image\]$/);

    // Without --all: only the path root → HEAD, one lane.
    const path = await ws.run(['log', '--graph']);
    const pathLines = path.stdout.trimEnd().split('\n');
    expect(pathLines).toHaveLength(3);
    expect(pathLines.every((l) => l.startsWith('* '))).toBe(true);
    expect(path.stdout).not.toContain('make it night');
  }, 120_000);

  it('log prints each turn on one line and never prints the fal key, even from a prompt', async () => {
    ws = await workspace();
    const key = 'log-test-id:log-test-secret-9c8b7a6f';
    await ws.json(['new', ws.image]);
    await ws.json(['edit', `make it night\nand add a moon (${key})`, '--seed', '1']);
    const graph = await ws.run(['log', '--graph', '--all'], cliEnv({ FAL_KEY: key }));
    expect(graph.code).toBe(0);
    const lines = graph.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\* \S+ \(HEAD -> main\) make it night and add a moon \(\[redacted\]\) {2}· seed 1/);
    expect(graph.stdout + graph.stderr).not.toContain('log-test-secret');
  }, 120_000);

  it('prints stored text from any command without its control characters (no escape reaches the terminal)', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image, '--title', 'kitchen\u001b]0;pwned\u0007']);
    await ws.json(['edit', 'make it \u001b[31mred\u001b[0m\nplease', '--seed', '1']);
    const show = await ws.run(['show', 'HEAD']);
    const sessions = await ws.run(['sessions']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('prompt    make it  [31mred [0m please');
    expect(sessions.stdout).toContain('kitchen ]0;pwned');
    for (const out of [show.stdout, sessions.stdout]) expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  }, 120_000);

  it('remembers the current session beside the database, and --session overrides it', async () => {
    ws = await workspace();
    const a = await ws.json<{ session: SessionDoc }>(['new', ws.image, '--title', 'a']);
    const b = await ws.json<{ session: SessionDoc }>(['new', ws.image, '--title', 'b']);
    expect(JSON.parse(readFileSync(join(ws.dir, 'data', 'current'), 'utf8'))).toEqual({ 'kontext.db': b.session.id });
    await ws.json(['edit', 'make it red', '--seed', '1']);
    // The edit went to b (current); a still has only its root.
    expect((await ws.json<{ turns: unknown[] }>(['--session', a.session.id, 'log'])).turns).toHaveLength(1);
    expect((await ws.json<{ turns: unknown[] }>(['log'])).turns).toHaveLength(2);
    await ws.json(['use', a.session.id.slice(0, 5)]);
    expect((await ws.json<{ current: string }>(['sessions'])).current).toBe(a.session.id);
    expect((await ws.json<{ turns: unknown[] }>(['log'])).turns).toHaveLength(1);
  }, 120_000);

  it('edit --from a branch and --candidate continue from exactly that image', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const { turn: multi } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it blue', '--seed', '4', '--num-images', '3']);
    expect(multi.outputs).toHaveLength(3);
    await ws.json(['branch', 'blue']);
    await ws.json(['edit', 'make it night', '--seed', '5']);
    // From the branch (not HEAD), continuing from its third candidate.
    const { turn } = await ws.json<{ turn: TurnDoc }>(['edit', 'add snow', '--from', 'blue', '--candidate', '2', '--seed', '6']);
    expect(turn.parentId).toBe(multi.id);
    const shown = await ws.run(['show', turn.id]);
    expect(shown.stdout).toContain(`input     ${multi.outputs[2]!.url}`);
    const wrong = await ws.run(['edit', 'add rain', '--from', 'blue', '--candidate', '3']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('candidate: 3 is not an output of turn');
  }, 120_000);

  it('starts sessions from a prompt (text-to-image) and from an image URL', async () => {
    ws = await workspace();
    const fromPrompt = await ws.json<{ session: SessionDoc & { title: string }; root: TurnDoc }>(['new', '--prompt', 'a red bicycle in the snow']);
    expect(fromPrompt.root).toMatchObject({ status: 'succeeded', prompt: 'a red bicycle in the snow' });
    expect(fromPrompt.session.title).toBe('a red bicycle in the snow');

    const bytes = readFileSync(ws.image);
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(bytes));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pictures/kitchen.png`;
      const fromUrl = await ws.json<{ session: SessionDoc & { title: string }; root: TurnDoc }>(['new', url]);
      expect(fromUrl.session.title).toBe('kitchen.png');
      expect(readFileSync(fromUrl.root.image!).equals(bytes)).toBe(true);
    } finally {
      server.close();
    }
  }, 60_000);
});
