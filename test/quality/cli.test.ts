import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, workspace, type Workspace } from '../cli/support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

interface DriftDoc {
  ssim: number;
  deltaE: number;
  editedFraction: number;
}

describe('drift and sizes in the CLI', () => {
  it('show --json gives a drift object and the sizes, log prints a short figure per edit, show warns past the session threshold', async () => {
    ws = await workspace();
    // A threshold every simulated turn passes, so the warning must show.
    await ws.json(['new', ws.image, '--warn-delta-e', '0']);
    const { turn } = await ws.json<{ turn: { id: string; drift: { parent: DriftDoc; root: DriftDoc }; sizes: { source: unknown; mismatch: boolean } } }>(['edit', "add text 'HI'", '--seed', '4']);
    const shown = await ws.json<{ turn: { drift: { parent: DriftDoc; root: DriftDoc }; sizes: { source: unknown; pinnedAspectRatio: string } }; warning: string | null }>(['show', turn.id]);
    expect(shown.turn.drift.parent.ssim).toBeGreaterThan(0);
    expect(shown.turn.drift.parent.ssim).toBeLessThanOrEqual(1);
    expect(shown.turn.drift.root).toEqual(shown.turn.drift.parent);
    expect(shown.turn.sizes).toMatchObject({ source: { width: 96, height: 64 }, pinnedAspectRatio: '3:2' });
    expect(shown.warning).toMatch(/ΔE .* > 0/);

    const log = await ws.run(['log']);
    expect(log.code).toBe(0);
    const line = log.stdout.split('\n').find((l) => l.includes(turn.id.slice(0, 8)))!;
    expect(line).toContain(`drift SSIM ${shown.turn.drift.root.ssim.toFixed(3)} ΔE ${shown.turn.drift.root.deltaE.toFixed(1)}`);
  });

  it('a quality flag out of range is refused with the field named, exit status non-zero', async () => {
    ws = await workspace();
    const run = await ws.run(['new', ws.image, '--warn-ssim', '3']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/quality: warnSsimBelow: 3 is above the maximum 1/);
  });
});
