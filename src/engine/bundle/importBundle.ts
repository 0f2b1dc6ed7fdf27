import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../../errors/ConflictError.js';
import { IntegrityError } from '../../errors/IntegrityError.js';
import type { SessionStore } from '../../store/SessionStore.js';
import type { SessionRow } from '../../store/schema.js';
import type { BundleDeps } from './BundleDeps.js';
import { checkGraph } from './checkGraph.js';
import { ValidationError } from '../../errors/ValidationError.js';
import type { EndpointRegistry } from '../../kontext/endpoints.js';
import { checkDecodableImage } from '../images.js';
import { parseManifest, type BundleManifest, type ManifestTurn } from './manifest.js';
import { readBundle } from './readBundle.js';
import { settleUnfinished } from './unfinishedTurns.js';
import { blobFromManifest, outputFromManifest, refFromManifest, sessionFromManifest, turnFromManifest } from './rows.js';

/** Default cap on what one bundle may unpack to. */
export const DEFAULT_MAX_BUNDLE_BYTES = 2 * 1024 ** 3;
/** Default cap on entries: room for a manifest and 100,000 images. */
export const DEFAULT_MAX_BUNDLE_ENTRIES = 100_001;

export interface ImportOptions {
  /**
   * Owner to give the imported session (the server passes the importing token's owner).
   * Default: the owner recorded in the bundle.
   */
  owner?: string | null;
  /** Most bytes the bundle may unpack to. Default 2 GiB. */
  maxBytes?: number;
  /** Most entries the bundle may hold. Default 100,001. */
  maxEntries?: number;
  /** Where the private staging folder is made. Default: `os.tmpdir()`. */
  tempDir?: string;
}

export interface ImportResult {
  sessionId: string;
  turns: number;
  blobs: number;
  /** True when this session was already in the store (e.g. the same bundle imported twice); nothing was duplicated. */
  alreadyPresent: boolean;
}

/**
 * Imports a bundle written by `exportSession`, keeping its session and turn ids. Everything
 * is checked before anything is written: each image's sha256 against its name, that every
 * image a row references is in the bundle, the manifest's fields and tree. Then the images
 * go into the archive and the rows into the store in one transaction, so a refused bundle
 * leaves both unchanged.
 *
 * Importing a session that is already present writes no rows and reports `alreadyPresent`.
 * Refusals: ValidationError (newer format version, invalid manifest fields, over `maxBytes`),
 * IntegrityError (not a gzip tar, no manifest, tampered or missing image, disallowed entry),
 * ConflictError (the session is present with turns the bundle lacks, or as another owner).
 *
 * @example
 * const { sessionId, alreadyPresent } = await importBundle({ store, blobs }, 'cat.kontext.tgz', { owner: token.owner });
 */
export async function importBundle(deps: BundleDeps, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const { store, blobs } = deps;
  const stage = await mkdtemp(join(options.tempDir ?? tmpdir(), 'kontext-bundle-'));
  try {
    const staged = await readBundle(file, stage, {
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES,
      maxEntries: options.maxEntries ?? DEFAULT_MAX_BUNDLE_ENTRIES,
    });
    const manifest = parseManifest(staged.manifest);
    const orderedTurns = checkGraph(manifest, staged.blobs);
    if (deps.endpoints) checkEndpoints(manifest, deps.endpoints);
    // A hash that matches says the bytes are the ones exported, not that they are an image:
    // each is checked as an upload would be before anything is archived.
    for (const [hash, { path }] of staged.blobs) await checkDecodableImage(await readFile(path), `blobs/${hash}`);
    const session: SessionRow = {
      ...sessionFromManifest(manifest.session),
      owner: options.owner === undefined ? manifest.session.owner : options.owner,
    };
    const result = { sessionId: session.id, turns: manifest.turns.length, blobs: manifest.blobs.length };

    let alreadyPresent = await isAlreadyPresent(store, session, orderedTurns);

    // Images before rows: a committed row must never point at bytes the archive lacks. Each is
    // put even when already archived (put is idempotent): a put marks the bytes as fresh, so
    // archive collection cannot take an old unreferenced copy between here and the rows' write.
    for (const blob of manifest.blobs) {
      const { path, size } = staged.blobs.get(blob.hash)!;
      const put = await blobs.putStream(createReadStream(path), { maxBytes: size });
      if (put.hash !== blob.hash) throw new IntegrityError(`blob ${blob.hash} changed while being archived`, { hash: blob.hash, actual: put.hash });
    }

    if (!alreadyPresent) {
      try {
        const settled = settleUnfinished(session, orderedTurns.map(turnFromManifest), manifest.refs.map(refFromManifest), new Date());
        await store.insertSessionGraph({
          session: settled.session,
          turns: settled.turns,
          outputs: manifest.outputs.map(outputFromManifest),
          refs: settled.refs,
          blobs: manifest.blobs.map(blobFromManifest),
        });
      } catch (error) {
        // Another import of the same bundle may have committed between our check and our
        // write; that one's rows are the same rows, so this import is "already present".
        if (!(await store.findSession(session.id))) throw error;
        alreadyPresent = await isAlreadyPresent(store, session, orderedTurns);
      }
    }
    return { ...result, alreadyPresent };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * Whether the store already holds this session with every turn of the bundle (it may hold
 * more: the session went on after the export). Throws ConflictError when writing the bundle
 * would clash with what is there; returns false when nothing of it is there yet.
 */
async function isAlreadyPresent(store: SessionStore, session: SessionRow, turns: readonly ManifestTurn[]): Promise<boolean> {
  const existing = await store.findSession(session.id);
  if (existing) {
    // Reporting "already present" to another owner would hand them a session they cannot open.
    if (existing.owner !== session.owner) {
      throw new ConflictError(`session '${session.id}' already exists in this store under another owner; it cannot be imported again`, { sessionId: session.id });
    }
    const have = new Set((await store.listTurns(session.id)).map((t) => t.id));
    const lacking = turns.filter((t) => !have.has(t.id)).length;
    if (lacking > 0) {
      throw new ConflictError(
        `session '${session.id}' already exists in this store without ${lacking} of the bundle's turns; merging a bundle into an existing session is not supported`,
        { sessionId: session.id, lacking },
      );
    }
    return true;
  }
  for (const turn of turns) {
    if (await store.findTurn(turn.id)) {
      throw new ConflictError(`turn '${turn.id}' of the bundle already exists in another session of this store`, { turnId: turn.id });
    }
  }
  return false;
}

/** Every endpoint the session and its turns name must be one this engine knows, or the session could not be continued. */
function checkEndpoints(manifest: BundleManifest, endpoints: EndpointRegistry): void {
  const known = new Set(endpoints.list().map((e) => e.id));
  const issues = [];
  if (!known.has(manifest.session.defaultEndpoint)) issues.push({ field: 'session.defaultEndpoint', message: `'${manifest.session.defaultEndpoint}' is not a known endpoint` });
  manifest.turns.forEach((turn, i) => {
    if (turn.endpointId !== null && !known.has(turn.endpointId)) issues.push({ field: `turns.${i}.endpointId`, message: `'${turn.endpointId}' is not a known endpoint` });
  });
  if (issues.length > 0) throw new ValidationError(issues, 'bundle manifest');
}
