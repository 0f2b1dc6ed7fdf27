import { SHA256_HEX } from '../blobs/BlobStore.js';
import type { ReferenceInput } from '../engine/references.js';
import { ValidationError } from '../errors/ValidationError.js';
import { checkReferenceCount } from '../kontext/referenceCount.js';
import { parseDataUri } from '../util/dataUri.js';
import type { SessionEngine } from '../engine/SessionEngine.js';
import type { ImageFetcher } from '../net/ImageFetcher.js';
import type { Access } from './access.js';

/** `/images/<hash>` as the HTTP API addresses an image, `kontext://images/<hash>` as MCP does. */
const ARCHIVED = /^(?:\/images\/|kontext:\/\/images\/)([^/?#]+)$/;
const FORMS = 'a data:image/…;base64, URL, an http(s) URL or /images/<sha256> of an archived image';

/**
 * An edit body's `references` as the engine's reference inputs, each read here under the
 * server's rules: a data URI decoded, an http(s) URL downloaded through the server's SSRF
 * guard, `/images/<hash>` only for an image of the caller's own sessions. Counted against the
 * endpoint first, so nothing is downloaded for an edit that cannot take them. Errors name the
 * item: `references[1]`.
 */
export async function referencesFromBody(
  ctx: { engine: SessionEngine; access: Pick<Access, 'canReadBlob'>; fetchImage: ImageFetcher; maxImageBytes: number },
  request: { owner: string | null; sessionId: string; endpoint: string | undefined; signal: AbortSignal },
  items: readonly string[] | undefined,
): Promise<ReferenceInput[] | undefined> {
  if (items === undefined) return undefined;
  const endpoint = ctx.engine.endpoints.get(request.endpoint ?? (await ctx.engine.getSession(request.sessionId)).defaultEndpoint);
  checkReferenceCount(endpoint, items.length);
  const references: ReferenceInput[] = [];
  for (const [i, item] of items.entries()) {
    const field = `references[${i}]`;
    if (item.startsWith('data:')) {
      references.push({ bytes: parseDataUri(item, field).bytes });
    } else if (/^https?:\/\//i.test(item)) {
      references.push({ bytes: await ctx.fetchImage(item, { maxBytes: ctx.maxImageBytes, signal: request.signal, field }) });
    } else {
      const hash = ARCHIVED.exec(item)?.[1];
      if (hash === undefined) throw new ValidationError([{ field, message: `${JSON.stringify(item.slice(0, 60))} is not ${FORMS}` }]);
      // The same answer for a hash that is not there and one of another user's: nothing to learn.
      if (!SHA256_HEX.test(hash) || !(await ctx.access.canReadBlob(request.owner, hash)) || !(await ctx.engine.store.findBlob(hash))) {
        throw new ValidationError([{ field, message: `${JSON.stringify(item.slice(0, 80))} is not an image of your sessions` }]);
      }
      references.push({ blobHash: hash });
    }
  }
  return references;
}
