import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, workspace, type SessionDoc, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

describe('kontext rm', () => {
  it('deletes a turn and its descendants; main and HEAD move to the parent; --branches deletes the branches inside', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const { turn: a } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1']);
    const { turn: b } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it night', '--seed', '2']);
    const { turn: c } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it winter', '--seed', '3']);

    const text = await ws.run(['rm', b.id.slice(0, 6)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('deleted 2 turn(s)');
    expect(text.stdout).toContain('moved branch(es) main');
    const shown = await ws.run(['show', c.id, '--json']);
    expect(shown.code).not.toBe(0);
    expect(JSON.parse(shown.stdout || shown.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const branches = await ws.json<{ head: string; attached: string | null; branches: { name: string; turnId: string }[] }>(['branch']);
    expect(branches).toMatchObject({ head: a.id, attached: 'main', branches: [{ name: 'main', turnId: a.id }] });

    const deleted = await ws.json<{ deleted: { deletedTurnIds: string[]; deletedBranches: string[] } }>(['rm', 'HEAD', '--branches']);
    expect(deleted.deleted).toMatchObject({ deletedTurnIds: [a.id], deletedBranches: ['main'] });
    expect((await ws.json<{ branches: unknown[] }>(['branch'])).branches).toEqual([]);
  });

  it('refuses the root with CONFLICT and an unknown turn, changing nothing', async () => {
    ws = await workspace();
    const { root } = await ws.json<{ root: TurnDoc; session: SessionDoc }>(['new', ws.image]);
    const refused = await ws.run(['rm', root.id, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout || refused.stderr)).toMatchObject({ error: { code: 'CONFLICT' } });
    const unknown = await ws.run(['rm', 'zzzzzzzz']);
    expect(unknown.code).not.toBe(0);
    expect((await ws.json<{ turn: TurnDoc }>(['show', root.id])).turn.id).toBe(root.id);
  });
});
