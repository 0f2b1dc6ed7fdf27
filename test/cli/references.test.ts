import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, workspace, type TurnDoc, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function referenceFile(dir: string, name: string, colour: { r: number; g: number; b: number }): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, await sharp({ create: { width: 20, height: 20, channels: 3, background: colour } }).png().toBuffer());
  return file;
}

describe('kontext edit --ref', () => {
  it('sends each --ref beside the chained image and archives it with the turn', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const yellow = await referenceFile(ws.dir, 'yellow.png', { r: 250, g: 220, b: 0 });
    const cyan = await referenceFile(ws.dir, 'cyan.png', { r: 0, g: 200, b: 220 });
    const { turn } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1', '--ref', yellow, '--ref', cyan]);
    expect(turn.status).toBe('succeeded');
    // The CLI's address of an image is its archived file: the same bytes, in order.
    expect(turn.references).toHaveLength(2);
    expect(sha256(await readFile(turn.references[0]!))).toBe(sha256(await readFile(yellow)));
    expect(sha256(await readFile(turn.references[1]!))).toBe(sha256(await readFile(cyan)));
    const text = await ws.run(['show', turn.id]);
    expect(text.stdout).toContain(`ref 1     ${turn.references[0]}`);
    expect(text.stdout).toContain(`ref 2     ${turn.references[1]}`);
  });

  it('more --ref than the endpoint takes exits 2 naming references, and nothing is written', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const ref = await referenceFile(ws.dir, 'r.png', { r: 10, g: 10, b: 10 });
    const result = await ws.run(['edit', 'make it red', ...Array.from({ length: 5 }, () => ['--ref', ref]).flat()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("references: 5 reference images given; 'local/kontext-sim' takes at most 4");
    const log = await ws.json<{ turns: unknown[] }>(['log']);
    expect(log.turns).toHaveLength(1);
  });

  it('a --ref with an unsupported scheme is refused by name', async () => {
    ws = await workspace();
    await ws.json(['new', ws.image]);
    const result = await ws.run(['edit', 'make it red', '--ref', 'ftp://example.invalid/r.png']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--ref: 'ftp:' URLs are not supported");
  });
});
