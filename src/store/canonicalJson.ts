import { withoutImages } from '../kontext/imageFields.js';

/** JSON with sorted keys, so two param objects compare equal regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Whether a stored turn's request equals another, the images aside: they are compared by content
 * hash (the input blob, then the reference blobs in order), so the URLs they were sent as do not matter.
 */
export function sameRequestBesideImages(
  a: { params: Record<string, unknown>; referenceBlobs?: readonly string[] },
  b: { params: Record<string, unknown>; referenceBlobs?: readonly string[] },
): boolean {
  return canonicalJson(withoutImages(a.params)) === canonicalJson(withoutImages(b.params)) && canonicalJson(a.referenceBlobs ?? []) === canonicalJson(b.referenceBlobs ?? []);
}
