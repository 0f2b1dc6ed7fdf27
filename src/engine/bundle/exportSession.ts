import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { create as createTar } from 'tar';
import { IntegrityError } from '../../errors/IntegrityError.js';
import { packageRoot } from '../../store/packageRoot.js';
import type { BlobRow } from '../../store/schema.js';
import type { BundleDeps } from './BundleDeps.js';
import { BLOB_ENTRY_PREFIX, BUNDLE_FORMAT, BUNDLE_VERSION, MANIFEST_ENTRY, manifestDigest, type BundleManifest } from './manifest.js';
import { blobToManifest, outputToManifest, refToManifest, sessionToManifest, turnToManifest } from './rows.js';
import { refuseSecrets } from './secrets.js';

export interface ExportOptions {
  /**
   * Strings that must not leave the machine; export is refused if any occurs in the manifest.
   * Default: `[process.env.FAL_KEY]` when it is set. Pass `[]` to skip the check.
   */
  secrets?: string[];
  /** Clock for `exportedAt`. Default: the system clock. */
  now?: () => Date;
  /** Where the private staging folder is made. Default: `os.tmpdir()`. */
  tempDir?: string;
}

export interface ExportResult {
  /** Absolute path of the bundle written. */
  file: string;
  turns: number;
  blobs: number;
  /** Size of the bundle file. */
  bytes: number;
}

/**
 * Writes one session — every turn, output, branch and the images they reference — to a
 * single gzip-compressed tar: `manifest.json` (a versioned list of rows) and `blobs/<sha256>`.
 * The file appears only once complete (replacing any file already there), so a failed export
 * never leaves half a bundle under `file`. Refused with a ValidationError, before anything is written, if a secret (by default
 * the FAL_KEY) occurs anywhere in the manifest.
 *
 * @example
 * const { bytes } = await exportSession({ store, blobs }, session.id, 'cat.kontext.tgz');
 * // on another machine:
 * await importBundle({ store, blobs }, 'cat.kontext.tgz');
 */
export async function exportSession(deps: BundleDeps, sessionId: string, file: string, options: ExportOptions = {}): Promise<ExportResult> {
  const { store, blobs } = deps;
  const session = await store.getSession(sessionId);
  const turns = await store.listTurns(sessionId);
  const byTurn = await store.outputsOfMany(turns.map((t) => t.id));
  const outputs = turns.flatMap((t) => byTurn.get(t.id) ?? []);
  const refs = await store.listRefs(sessionId);

  const hashes = [...new Set([...outputs.map((o) => o.blobHash), ...turns.flatMap((t) => (t.inputBlob ? [t.inputBlob, ...t.referenceBlobs] : t.referenceBlobs))])].sort();
  const blobRows: BlobRow[] = [];
  for (const hash of hashes) {
    const row = await store.findBlob(hash);
    // Foreign keys make this unreachable, unless the database was edited by hand.
    if (!row) throw new IntegrityError(`session '${sessionId}' references blob ${hash}, which has no metadata row`, { hash });
    blobRows.push(row);
  }

  const exportedAt = (options.now ?? (() => new Date()))();
  const contents: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: exportedAt.getTime(),
    ...exportedBy(),
    session: sessionToManifest(session),
    turns: turns.map(turnToManifest),
    outputs: outputs.map(outputToManifest),
    refs: refs.map(refToManifest),
    blobs: blobRows.map(blobToManifest),
  };
  const manifest: BundleManifest = { ...contents, digest: manifestDigest(contents) };
  const json = JSON.stringify(manifest, null, 2);
  refuseSecrets(manifest, json, options.secrets ?? [process.env.FAL_KEY, process.env.BFL_API_KEY, process.env.REPLICATE_API_TOKEN].filter((key): key is string => typeof key === 'string' && key !== ''));

  const target = resolve(file);
  const partial = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  const stage = await mkdtemp(join(options.tempDir ?? tmpdir(), 'kontext-bundle-'));
  try {
    await writeFile(join(stage, MANIFEST_ENTRY), json);
    await mkdir(join(stage, BLOB_ENTRY_PREFIX));
    for (const hash of hashes) {
      const bytes = await blobs.get(hash);
      // Not every BlobStore verifies on read; a bundle must never carry bytes that fail their own name.
      if (createHash('sha256').update(bytes).digest('hex') !== hash) {
        throw new IntegrityError(`blob ${hash} in the archive is corrupt: its bytes no longer match its hash`, { hash });
      }
      await writeFile(join(stage, BLOB_ENTRY_PREFIX, hash), bytes);
    }
    // Entries are named explicitly (manifest first, so a reader meets it early) and no folder
    // entries are written; `portable` leaves out the exporting user's uid, gid and names.
    await createTar(
      { file: partial, gzip: true, cwd: stage, portable: true, noDirRecurse: true, mtime: exportedAt },
      [MANIFEST_ENTRY, ...hashes.map((h) => `${BLOB_ENTRY_PREFIX}${h}`)],
    );
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return { file: target, turns: turns.length, blobs: hashes.length, bytes: (await stat(target)).size };
}

let cachedExportedBy: { exportedBy?: { library: string; version: string } } | undefined;

/** This library's name and version from package.json, or nothing if it cannot be read. */
function exportedBy(): { exportedBy?: { library: string; version: string } } {
  if (!cachedExportedBy) {
    try {
      const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      cachedExportedBy =
        typeof pkg.name === 'string' && typeof pkg.version === 'string' ? { exportedBy: { library: pkg.name, version: pkg.version } } : {};
    } catch {
      cachedExportedBy = {};
    }
  }
  return cachedExportedBy;
}
