import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'kontext-demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('runs offline to completion: chained edits, a what-if branch, an exact replay with 0 provider calls, the tree and a contact sheet', async () => {
    const env = { ...process.env, FAL_KEY: '' };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'examples/demo.ts'), '--out', out], { cwd: root, env });
    expect(stdout).toContain('provider: local simulator');
    expect(stdout.match(/ {2}edit \d: /g)).toHaveLength(3);
    expect(stdout).toMatch(/what-if done: 2 turns rebuilt/);
    expect(stdout).toMatch(/exact replay of main → branch 'replay-1': 3 turns, 0 provider calls/);
    // The tree, drawn like git log --graph, with both branches forking.
    expect(stdout).toMatch(/^\* \S+ \(HEAD -> replay-1\)/m);
    expect(stdout).toMatch(/^\|\/$/m);
    expect(stdout).toContain('(main-whatif, winter)');
    const sheet = join(out, 'index.html');
    expect(existsSync(sheet)).toBe(true);
    const html = readFileSync(sheet, 'utf8');
    const images = [...html.matchAll(/src="images\/([^"]+)"/g)].map((m) => m[1]!);
    expect(images.length).toBe(9);
    for (const file of new Set(images)) expect(readdirSync(join(out, 'images'))).toContain(file);
  });
});
