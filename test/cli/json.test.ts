import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, spawnCli, waitForLine, workspace, type SessionDoc, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

describe('--json', () => {
  it('every command prints exactly one JSON document on stdout (progress stays on stderr)', async () => {
    ws = await workspace();
    const seen = new Set<string>();
    /** Runs a command with --json; `ws.json` fails unless stdout is one parseable document. */
    const json = async <T = Record<string, unknown>>(args: string[], code = 0) => {
      seen.add(args[0]!.startsWith('--') ? args[2]! : args[0]!);
      const doc = await ws!.json<T>(args, code);
      expect(typeof doc).toBe('object');
      return doc;
    };

    const { session } = await json<{ session: SessionDoc }>(['new', ws.image]);
    const edited = await ws.run(['edit', 'make it red', '--seed', '1', '--num-images', '2', '--json']);
    expect(edited.stderr).toContain('submitted'); // progress went to stderr…
    const { turn } = JSON.parse(edited.stdout) as { turn: TurnDoc }; // …and stdout is only the document
    seen.add('edit');
    expect(turn.outputs).toHaveLength(2);

    expect((await json<{ turns: unknown[] }>(['log'])).turns).toHaveLength(2);
    await json(['log', '--graph', '--all']);
    expect((await json<{ turn: TurnDoc }>(['show', 'HEAD'])).turn.id).toBe(turn.id);
    expect((await json<{ turn: TurnDoc }>(['pick', 'HEAD', '1'])).turn.outputs.find((o) => o.picked)?.index).toBe(1);
    expect((await json<{ index: number }>(['open', 'HEAD'])).index).toBe(1);
    await json(['branch', 'red']);
    await json(['branch', '-m', 'red', 'crimson']);
    expect((await json<{ branches: { name: string }[] }>(['branch'])).branches.map((b) => b.name)).toEqual(['crimson', 'main']);
    await json(['branch', '-d', 'crimson']);
    await json(['undo']);
    await json(['redo']);
    await json(['checkout', 'main']);
    await json(['replay']);
    await json(['whatif', turn.id, 'make it blue', '--dry-run']);
    await json(['whatif', turn.id, 'make it blue', '--guidance', '5']);
    const cancel = await json<{ error: { code: string; exitCode: number } }>(['cancel', turn.id], 1);
    expect(cancel.error).toMatchObject({ code: 'CONFLICT', exitCode: 1 });
    expect(await json(['resume'])).toMatchObject({ resumed: [], busy: [], unavailable: [] });
    expect(await json(['cost'])).toMatchObject({ totalMicros: 0, budgetMicros: null });
    expect((await json<{ current: string }>(['sessions'])).current).toBe(session.id);
    expect((await json<{ current: string }>(['use', session.id])).current).toBe(session.id);
    const bundle = join(ws.dir, 'out.tgz');
    await json(['export', bundle]);
    await json(['--db', join(ws.dir, 'other', 'k.db'), 'import', bundle]);
    // Usage errors are documents too.
    const usage = await json<{ error: { code: string; exitCode: number; message: string } }>(['edit', 'x', '--guidance', '25'], 2);
    expect(usage.error).toMatchObject({ code: 'VALIDATION', exitCode: 2, message: 'guidance_scale: 25 is above the maximum 20 (--guidance)' });
    const unknownFlag = await json<{ error: { code: string; exitCode: number } }>(['log', '--colour'], 2);
    expect(unknownFlag.error).toMatchObject({ code: 'USAGE', exitCode: 2 });

    // serve: a document saying where it listens.
    seen.add('serve');
    const child = spawnCli(['--db', ws.db, 'serve', '--port', '0', '--json'], { cwd: ws.dir });
    const [, url] = await waitForLine(child, 'stdout', /"url": "(http:\/\/127\.0\.0\.1:\d+)"/);
    const listed = (await (await fetch(`${url!}/sessions`)).json()) as { sessions: { id: string }[] };
    expect(listed.sessions.map((s) => s.id)).toContain(session.id);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);

    const all = ['new', 'edit', 'log', 'show', 'checkout', 'undo', 'redo', 'branch', 'pick', 'replay', 'whatif', 'cancel', 'resume', 'cost', 'sessions', 'use', 'export', 'import', 'open', 'serve'];
    expect([...seen].sort()).toEqual(expect.arrayContaining(all.sort()));
  }, 240_000);
});
