import { SHA256_HEX } from '../blobs/BlobStore.js';
import type { BlobStore } from '../blobs/BlobStore.js';
import { ValidationError } from '../errors/ValidationError.js';
import type { SessionStore } from '../store/SessionStore.js';
import { archiveImage, readImageInput, type ImageInput, type ReadImageOptions } from './images.js';

/**
 * A reference image a turn carries beside the chained one: any {@link ImageInput} (read under
 * the same rules: URLs through the SSRF guard, no local files unless the engine allows them),
 * or `{ blobHash }`, an image already in the archive (a session's earlier output, say).
 */
export type ReferenceInput = ImageInput | { blobHash: string };

/**
 * Reads and archives each reference, in order, and returns their blob hashes. Errors name the
 * item (`references[1].url`). Nothing is sent anywhere: a turn's references are archived
 * before it is written, so a replay, an export or a resume finds them in the archive.
 */
export async function archiveReferences(
  deps: { store: SessionStore; blobs: BlobStore },
  references: unknown,
  read: Omit<ReadImageOptions, 'field'>,
  field = 'references',
): Promise<string[]> {
  if (!Array.isArray(references)) throw new ValidationError([{ field, message: `is ${references === null ? 'null' : typeof references}; expected a list of images` }]);
  const hashes: string[] = [];
  for (const [i, reference] of references.entries()) {
    const at = `${field}[${i}]`;
    if (isArchived(reference)) {
      const hash = reference.blobHash;
      if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) throw new ValidationError([{ field: `${at}.blobHash`, message: 'must be a lower-case hex sha256 (64 characters 0-9a-f)' }]);
      if (!(await deps.store.findBlob(hash))) throw new ValidationError([{ field: `${at}.blobHash`, message: `no archived image has hash ${hash}` }]);
      hashes.push(hash);
      continue;
    }
    const { bytes } = await readImageInput(reference as ImageInput, { ...read, field: at });
    hashes.push((await archiveImage(deps, bytes, at)).hash);
  }
  return hashes;
}

function isArchived(value: unknown): value is { blobHash: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'blobHash' in value && Object.keys(value).length === 1;
}
