/** JSON with sorted keys, so two param objects compare equal regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether a stored turn's params equal a request's, the image aside (it is compared by content hash). */
export function sameParamsBesideImage(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const withoutImage = ({ image_url: _ignored, ...rest }: Record<string, unknown>) => canonicalJson(rest);
  return withoutImage(a) === withoutImage(b);
}
