import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, requireBuiltCli, workspace, type Workspace } from './support/cli.js';

beforeAll(requireBuiltCli);

/**
 * What a read-only command must not load: the engine's image, network and archive stack, the
 * server, the schemas, drizzle (only needed to migrate). The CLI is one bundle (our own code
 * inside it, packages required where the code first imports them), so what is watched is the
 * packages.
 */
const HEAVY = ['/node_modules/sharp/', '/node_modules/undici/', '/node_modules/hono/', '/node_modules/@hono/', '/node_modules/tar/', '/node_modules/zod/', '/node_modules/drizzle-orm/'];

let ws: Workspace;
let hooks: string;
beforeAll(async () => {
  ws = await workspace();
  expect((await ws.run(['new', ws.image])).code).toBe(0);
  // Writes to $KONTEXT_LOADED, one per line, every module Node loads: ES modules through a
  // module hook as they load, CommonJS ones from require.cache as the process exits.
  hooks = await mkdtemp(join(tmpdir(), 'kontext-hooks-'));
  await writeFile(
    join(hooks, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(process.env.KONTEXT_LOADED, url + '\\n'); return next(url, context); }\n",
  );
  await writeFile(join(hooks, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(hooks, 'hooks.mjs')).href)});\n`);
  await writeFile(
    join(hooks, 'required.cjs'),
    "process.on('exit', () => require('node:fs').appendFileSync(process.env.KONTEXT_LOADED, Object.keys(require.cache).join('\\n') + '\\n'));\n",
  );
});
afterAll(async () => {
  await ws?.remove();
  await rm(hooks, { recursive: true, force: true });
});

/** The modules a run of `kontext <args>` loads: URLs of ES modules, paths of CommonJS ones. */
async function loaded(args: string[]): Promise<string[]> {
  const file = join(hooks, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(file, '');
  const env = cliEnv({ KONTEXT_LOADED: file, NODE_OPTIONS: `--require ${join(hooks, 'required.cjs')} --import ${pathToFileURL(join(hooks, 'register.mjs')).href}` });
  const { code } = await ws.run(args, env);
  expect(code, args.join(' ')).toBe(0);
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
}

describe('start-up loads only what the command needs', () => {
  it.each([[['--help']], [['log', '--graph', '--all']], [['show', 'HEAD']], [['sessions']]])('kontext %j', async (args) => {
    const urls = await loaded(args);
    // The recording works: it saw the CLI itself, and better-sqlite3 wherever a store is read.
    expect(urls.some((u) => u.endsWith(`/${basename(CLI)}`))).toBe(true);
    expect(urls.some((u) => u.includes('/node_modules/better-sqlite3/'))).toBe(args[0] !== '--help');
    expect(urls.filter((u) => HEAVY.some((h) => u.includes(h)))).toEqual([]);
    // commander, which every command needs, is part of the bundle (scripts/bundleCli.mjs).
    expect(urls.filter((u) => u.includes('/node_modules/commander/'))).toEqual([]);
  });

  it('kontext edit --help loads the schemas, to quote their limits and defaults', async () => {
    expect((await loaded(['edit', '--help'])).some((u) => u.includes('/node_modules/zod/'))).toBe(true);
  });
});
