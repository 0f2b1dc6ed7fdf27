import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testImage } from '../../support/images.js';
import type { z } from 'zod';
import type { SessionJson, TurnJson } from '../../../src/present/schemas.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The built CLI, the file package.json names as the `kontext` bin (the CommonJS bundle of
 * src/cli/): tests run it exactly as a user would, as a separate process.
 */
export const CLI = resolve(PACKAGE_ROOT, (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { bin: { kontext: string } }).bin.kontext);

/** Fails with a clear message when the CLI was not built (`npm test` builds it first). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with 'npm run build' (npm test does this before vitest)`);
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of the child: ours without anything that would reach fal or another
 * database or open a server to the network (no FAL_KEY, no fal URL overrides, no KONTEXT_DB,
 * no KONTEXT_TOKENS, no bucket), plus `extra`.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['FAL_KEY', 'FAL_QUEUE_URL', 'FAL_RUN_URL', 'FAL_STORAGE_URL', 'KONTEXT_DB', 'KONTEXT_TOKENS', 'KONTEXT_BLOBS', 'KONTEXT_S3_ENDPOINT']) delete env[name];
  return { ...env, ...extra };
}

/** Starts `kontext <args>` in `cwd`; the caller decides when to wait or kill. */
export function spawnCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `kontext <args>` to completion and collects its exit status and output. */
export async function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** A temporary folder with a database path in it, and a picture to start sessions from. */
export interface Workspace {
  dir: string;
  db: string;
  image: string;
  /** Runs `kontext --db <db> <args>` in `dir` with the local provider. */
  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  /** Like run with `--json`; fails the test unless the exit status is `expectCode`, returns the parsed document. */
  json<T = Record<string, unknown>>(args: readonly string[], expectCode?: number, env?: NodeJS.ProcessEnv): Promise<T>;
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-cli-'));
  const db = join(dir, 'data', 'kontext.db');
  const image = join(dir, 'kitchen.png');
  await writeFile(image, await testImage(96, 64));
  const ws: Workspace = {
    dir,
    db,
    image,
    run: (args, env) => runCli(['--db', db, ...args], { cwd: dir, env }),
    json: async <T>(args: readonly string[], expectCode = 0, env?: NodeJS.ProcessEnv) => {
      const result = await ws.run([...args, '--json'], env);
      if (result.code !== expectCode) {
        throw new Error(`kontext ${args.join(' ')} exited ${result.code} (expected ${expectCode})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
      }
      return JSON.parse(result.stdout) as T;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return ws;
}

/** The CLI's JSON documents are the presenter's, as the HTTP API and MCP answer them. */
export type TurnDoc = z.output<typeof TurnJson>;
export type SessionDoc = z.output<typeof SessionJson>;

/** Resolves with the first match of `pattern` in a child's stream (read as lines), or rejects if the child exits first. */
export function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const source = child[stream]!;
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      for (const line of seen.split('\n')) {
        const match = line.match(pattern);
        if (match) {
          source.off('data', onData);
          child.off('exit', onExit);
          return resolvePromise(match);
        }
      }
    };
    const onExit = (code: number | null) => reject(new Error(`kontext exited (${code}) before printing ${pattern}; it printed:\n${seen}`));
    source.on('data', onData);
    child.once('exit', onExit);
  });
}
