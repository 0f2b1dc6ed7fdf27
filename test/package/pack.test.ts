import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { extract } from 'tar';
import { describe, expect, it } from 'vitest';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: { kontext: string }; dependencies: Record<string, string> };

/**
 * npm with every road to a registry closed: the registry is a closed loopback port and
 * `offline` forbids fetching at all, so a step that wanted the network fails instead of
 * reaching it. The update check would look up npm itself on the registry.
 */
const offlineNpmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_registry: 'http://127.0.0.1:9/',
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
};

/** What a user of the published package writes: only the package name and its subpaths. */
const CONSUMER_SCRIPT = `
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, serve } from 'kontext-sessions/server';
import { openEngine, ERROR_CODES, StoreBusyError } from 'kontext-sessions';

const [dataDir, imageFile] = process.argv.slice(2);
const opened = openEngine({ dataDir, provider: 'local', env: {} });
const session = await opened.engine.startSession({ image: { bytes: new Uint8Array(await readFile(imageFile)) }, title: 'packed' });
const { app } = createServer(opened.engine, { env: {}, page: false, log: (line) => console.error(line) });
const res = await app.request('/sessions/' + session.id + '/turns?wait=true', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ prompt: 'make it night', params: { seed: 7 } }),
});
const turn = await res.json();
const image = turn.outputs?.[0] ? await app.request('/images/' + turn.outputs[0].hash) : undefined;

const running = await serve({ engine: opened.engine, port: 0, resume: false, env: {}, log: () => undefined });
const health = await (await fetch(running.url + '/health')).json();
await running.close();
const afterClose = (await opened.engine.listSessions()).length;
await opened.close();

console.log(JSON.stringify({
  version: createRequire(import.meta.url)('kontext-sessions/package.json').version,
  editStatus: res.status,
  turnStatus: turn.status,
  outputs: turn.outputs?.length ?? 0,
  imageType: image?.headers.get('content-type') ?? null,
  imageBytes: image ? (await image.arrayBuffer()).byteLength : 0,
  healthOk: health.ok,
  sessionsAfterServerClose: afterClose,
  busyCode: new StoreBusyError().code,
  codes: Object.keys(ERROR_CODES).length,
}));
`;

/** The same imports seen by TypeScript: the `types` conditions of both subpaths resolve. */
const CONSUMER_TYPES = `
import type { ServeOptions, CreateServerOptions, KontextServer, RunningServer } from 'kontext-sessions/server';
import { createServer } from 'kontext-sessions/server';
import type { ErrorCode, SessionEngine } from 'kontext-sessions';
export const code: ErrorCode = 'BUSY';
export function build(engine: SessionEngine, options: CreateServerOptions): KontextServer { return createServer(engine, options); }
export type Listen = (options: ServeOptions) => Promise<RunningServer>;
`;

/**
 * Installs the tarball the way npm lays it out, with no registry: unpacked into
 * node_modules/kontext-sessions, and beside it links to this repository's copies of exactly
 * the declared dependencies (their own dependencies resolve from where the links point). A
 * module the package uses without declaring it is then missing, as it would be for a user.
 */
async function installOffline(project: string, tarball: string, extra: string[] = []): Promise<string> {
  const modules = join(project, 'node_modules');
  const installed = join(modules, pkg.name);
  await mkdir(installed, { recursive: true });
  await extract({ file: tarball, cwd: installed, strip: 1 });
  for (const name of [...Object.keys(pkg.dependencies), ...extra]) {
    await mkdir(join(modules, name, '..'), { recursive: true });
    await symlink(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return installed;
}

describe('the packed package', () => {
  it(
    'installs from its tarball without a network and works from plain node through its public entry points',
    async () => {
      const tmp = testTempDir('kontext-pack-');
      const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, env: offlineNpmEnv });
      const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
      const files = new Set(info!.files.map((f) => f.path));
      for (const needed of ['package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/server/index.js', 'dist/src/server/index.d.ts', 'migrations/sqlite/meta/_journal.json', 'migrations/postgres/meta/_journal.json', 'examples/chat-editor/index.html', pkg.bin.kontext.replace(/^\.\//, '')]) {
        expect(files, `the tarball holds ${needed}`).toContain(needed);
      }
      expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('src/'))).toEqual([]);

      const project = join(tmp, 'consumer');
      const installed = await installOffline(project, join(tmp, info!.filename), ['@types/node']);
      await writeFile(join(project, 'consumer.mjs'), CONSUMER_SCRIPT);
      const imageFile = join(project, 'in.png');
      await writeFile(imageFile, await testImage());

      const { stdout } = await run(process.execPath, ['consumer.mjs', join(project, 'data'), imageFile], { cwd: project, env: { PATH: process.env.PATH ?? '' } });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
        version: pkg.version,
        editStatus: 201,
        turnStatus: 'succeeded',
        outputs: 1,
        imageType: expect.stringMatching(/^image\//),
        imageBytes: expect.any(Number),
        healthOk: true,
        // serve() was lent the engine: closing the server left it working.
        sessionsAfterServerClose: 1,
        busyCode: 'BUSY',
        codes: expect.any(Number),
      });

      // The bin is the bundled CLI, and it runs from the installed package.
      const { stdout: version } = await run(process.execPath, [join(installed, pkg.bin.kontext), '--version'], { cwd: project, env: { PATH: process.env.PATH ?? '' } });
      expect(version.trim()).toBe(pkg.version);

      // TypeScript finds the declarations of both subpaths through the exports map.
      await writeFile(join(project, 'consumer.ts'), CONSUMER_TYPES);
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['consumer.ts'] }),
      );
      const tsc = resolve(ROOT, 'node_modules/typescript/bin/tsc');
      const typecheck = await run(process.execPath, [tsc, '-p', project], { cwd: project }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(typecheck).toBe('');
      expect(existsSync(join(project, 'data', 'kontext.db'))).toBe(true);
      expect((await readdir(join(project, 'data', 'blobs'))).length).toBeGreaterThan(0);
    },
    240_000,
  );
});
