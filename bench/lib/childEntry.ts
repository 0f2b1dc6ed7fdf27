import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/dist[\\/]$/, '');
/** What `tsc -p tsconfig.json` compiles into dist/ and a child may import. */
const SOURCE_DIRS = ['src', 'bench', 'test/support'];

export interface ChildEntry {
  /** Arguments for `spawn(process.execPath, args)`, before the child's own. */
  args: string[];
  /** How the child runs, for the benchmark's note. */
  runtime: string;
}

/**
 * How to start a benchmark's child process: as compiled JS from dist/ when `npm run build`
 * output is there and not older than any source (that is how the engine runs in production),
 * else through tsx. tsx costs the child tens of MiB of RSS (esbuild's loader, transformed
 * sources and their source maps), which a memory benchmark would count as the engine's.
 *
 * @param tsFile the child's TypeScript entry, e.g. `new URL('./child.ts', import.meta.url)`
 */
export function childEntry(tsFile: URL): ChildEntry {
  // Called from dist/ too: the entry is then named by where it was compiled from.
  const path = relative(ROOT, fileURLToPath(tsFile)).replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts');
  const source = join(ROOT, path);
  const compiled = join(ROOT, 'dist', path.replace(/\.ts$/, '.js'));
  const builtAt = mtimeOf(compiled);
  if (builtAt === undefined) return { args: ['--import', 'tsx', source], runtime: 'tsx (no dist/: run `npm run build` to measure compiled JS)' };
  const newest = Math.max(...SOURCE_DIRS.map((dir) => newestTs(join(ROOT, dir))));
  if (newest > builtAt) return { args: ['--import', 'tsx', source], runtime: 'tsx (dist/ is older than the sources: run `npm run build` to measure compiled JS)' };
  return { args: [compiled], runtime: 'node, compiled JS from dist/' };
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}
