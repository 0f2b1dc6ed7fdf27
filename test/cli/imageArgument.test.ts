import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { imageArgument } from '../../src/cli/imageArgument.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';
import { cliEnv } from './support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

/**
 * `kontext --json --db <db> <args>` from the sources (not the bundle), so this tests what is in
 * src/cli now. Run from the package root, where `--import tsx` resolves.
 */
async function kontext(dir: string, args: readonly string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', MAIN, '--json', '--db', join(dir, 'data', 'kontext.db'), ...args], { cwd: ROOT, env: cliEnv() });
  const result = await run.then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return { code: result.code, json: JSON.parse(result.stdout) as Record<string, unknown> };
}

describe('the CLI alone reads a bare <image> string', () => {
  it('turns what was typed into the tagged form', () => {
    expect(imageArgument('photo.png')).toEqual({ path: 'photo.png' });
    expect(imageArgument('/tmp/a b.png')).toEqual({ path: '/tmp/a b.png' });
    expect(imageArgument('HTTPS://example.com/a.png')).toEqual({ url: 'HTTPS://example.com/a.png' });
    expect(imageArgument('data:image/png;base64,AAAA')).toEqual({ dataUri: 'data:image/png;base64,AAAA' });
    expect(() => imageArgument('file:///etc/passwd')).toThrow("'file:' URLs are not supported; give a file path, an http(s) URL or a data URI");
  });

  it('kontext new <path> and kontext new <loopback URL> start sessions (the CLI engine allows both)', async () => {
    const dir = testTempDir('cli-image-');
    const png = await testImage();
    writeFileSync(join(dir, 'photo.png'), png);

    const fromPath = await kontext(dir, ['new', join(dir, 'photo.png')]);
    expect(fromPath.code).toBe(0);
    const root = fromPath.json.root as { status: string; image: string };
    expect(root.status).toBe('succeeded');
    expect(readFileSync(root.image).equals(png)).toBe(true);

    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const fromUrl = await kontext(dir, ['new', `http://127.0.0.1:${(server.address() as AddressInfo).port}/kitchen.png`]);
      expect(fromUrl.code).toBe(0);
      expect((fromUrl.json.session as { title: string }).title).toBe('kitchen.png');
    } finally {
      server.close();
    }
  }, 60_000);
});
