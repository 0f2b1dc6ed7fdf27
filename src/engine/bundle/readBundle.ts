import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { IntegrityError } from '../../errors/IntegrityError.js';
import { isKontextError } from '../../errors/KontextError.js';
import { NotFoundError } from '../../errors/NotFoundError.js';
import { ValidationError } from '../../errors/ValidationError.js';
import { BLOB_ENTRY_PREFIX, MANIFEST_ENTRY } from './manifest.js';

/** A blob entry copied into the staging folder, already checked against its name. */
export interface StagedBlob {
  /** Where the bytes sit, under the staging folder (named by us, never by the archive). */
  path: string;
  size: number;
}

export interface StagedBundle {
  manifest: Buffer;
  /** By sha256. */
  blobs: Map<string, StagedBlob>;
}

export interface ReadLimits {
  /** Most bytes all entries may unpack to together. */
  maxBytes: number;
  /** Most entries (files and folders) the archive may hold. */
  maxEntries: number;
}

/** JSON.parse needs the whole manifest as one string; V8 strings stop a little above 512 MiB. */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const BLOB_ENTRY_RE = new RegExp(`^${BLOB_ENTRY_PREFIX}([0-9a-f]{64})$`);
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
/** Folder entries a hand-repacked bundle (`tar czf b.tgz manifest.json blobs`) may carry; harmless. */
const HARMLESS_FOLDERS = new Set(['', '.', 'blobs']);

/**
 * Reads a bundle, copying its blobs into `stageDir` and its manifest into memory. Entries
 * are never extracted by name: each accepted entry's bytes are streamed to a file we name,
 * so `../x`, absolute paths, links and devices cannot reach the disk. Anything but
 * `manifest.json` and `blobs/<sha256>` (and their folder) is refused, as is a blob whose
 * bytes do not hash to its name, and an archive that passes `limits`.
 */
export async function readBundle(file: string, stageDir: string, limits: ReadLimits): Promise<StagedBundle> {
  const blobs = new Map<string, StagedBlob>();
  let manifest: Buffer | undefined;
  let entries = 0;
  let unpacked = 0;
  let staged = 0;
  let activeOut: WriteStream | undefined;

  const consume = async (entry: ReadEntry): Promise<void> => {
    entries += 1;
    if (entries > limits.maxEntries) {
      throw new ValidationError([{ field: 'maxEntries', message: `the bundle holds more than ${limits.maxEntries} entries; raise maxEntries to import it` }], 'cannot import bundle');
    }
    const name = entry.path.startsWith('./') ? entry.path.slice(2) : entry.path;
    if (entry.type === 'Directory' && HARMLESS_FOLDERS.has(name.replace(/\/+$/, ''))) {
      entry.resume();
      return;
    }
    const blobMatch = BLOB_ENTRY_RE.exec(name);
    if (!FILE_TYPES.has(entry.type) || (name !== MANIFEST_ENTRY && !blobMatch)) {
      entry.resume();
      throw new IntegrityError(
        `bundle entry ${JSON.stringify(entry.path)} (${entry.type}) is not allowed; a bundle holds only regular files ${MANIFEST_ENTRY} and ${BLOB_ENTRY_PREFIX}<sha256>`,
        { entry: entry.path, type: entry.type },
      );
    }
    // The header states the size up front, so an oversized entry is refused before its bytes are read.
    unpacked += entry.size;
    if (unpacked > limits.maxBytes) {
      entry.resume();
      throw new ValidationError([{ field: 'maxBytes', message: `the bundle unpacks to more than ${limits.maxBytes} bytes; raise maxBytes to import it` }], 'cannot import bundle');
    }

    if (name === MANIFEST_ENTRY) {
      if (manifest) throw new IntegrityError(`the bundle holds ${MANIFEST_ENTRY} twice`);
      if (entry.size > MAX_MANIFEST_BYTES) throw new IntegrityError(`${MANIFEST_ENTRY} is larger than ${MAX_MANIFEST_BYTES} bytes`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      manifest = Buffer.concat(chunks);
      return;
    }

    const expected = blobMatch![1]!;
    const path = join(stageDir, String(staged++));
    const hasher = createHash('sha256');
    let size = 0;
    // 'wx': refuse to open anything already there, so nothing can redirect the write.
    const out = (activeOut = createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    for await (const chunk of entry) {
      const bytes = chunk as Buffer;
      size += bytes.byteLength;
      hasher.update(bytes);
      if (!out.write(bytes)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    activeOut = undefined;
    const actual = hasher.digest('hex');
    if (actual !== expected) {
      throw new IntegrityError(`blob ${expected} in the bundle is corrupt: its bytes hash to ${actual}`, { hash: expected, actual });
    }
    // A repeated blob entry holds the same bytes (we just checked); keep the first copy.
    if (blobs.has(expected)) await rm(path, { force: true });
    else blobs.set(expected, { path, size });
  };

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    let queue: Promise<void> = Promise.resolve();
    const input = createReadStream(file);
    // strict: every tar warning (bad checksum, truncation, not an archive) is an error.
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        if (settled) return void entry.resume();
        // The parser hands over the next entry only once this one has been read, so the
        // queue runs one entry at a time and only keeps order and errors.
        queue = queue.then(() => consume(entry)).catch(fail);
      },
    });
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      input.unpipe();
      input.destroy();
      activeOut?.destroy();
      parser.removeAllListeners('entry');
      parser.abort(error instanceof Error ? error : new Error(String(error)));
      reject(describeReadError(error, file));
    };
    parser.on('error', fail);
    input.on('error', fail);
    parser.on('end', () => {
      void queue.then(() => {
        if (settled) return;
        settled = true;
        resolve();
      });
    });
    input.pipe(parser as unknown as NodeJS.WritableStream);
  });

  if (!manifest) throw new IntegrityError(`the bundle has no ${MANIFEST_ENTRY}; it is not a kontext-sessions bundle or was cut short`);
  return { manifest, blobs };
}

/** Our own typed errors pass through; anything from the file system or tar says what the file is not. */
function describeReadError(error: unknown, file: string): Error {
  if (isKontextError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return new NotFoundError('bundle', file, `bundle file '${file}' not found`);
  const reason = error instanceof Error ? error.message : String(error);
  return new IntegrityError(`'${file}' is not a readable kontext-sessions bundle (a gzip-compressed tar): ${reason}`, { file, reason });
}
