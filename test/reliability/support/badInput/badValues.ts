/**
 * Wrong values for each request parameter (out of range, wrong type, not finite, of another
 * shape), shared by the library, CLI and HTTP corpora so all three refuse the same things.
 */
export const BAD_PARAM_VALUES: Readonly<Record<string, readonly unknown[]>> = {
  seed: [-1, 1.5, 4_294_967_296, 1e20, '7', null, true, Number.NaN, Number.POSITIVE_INFINITY, [], {}],
  guidance_scale: [0, 0.99, 20.01, 25, -3, '3.5', null, Number.NaN, Number.NEGATIVE_INFINITY, [3.5]],
  num_images: [0, 5, 2.5, -1, '2', null, true, 100],
  output_format: ['gif', 'JPEG', '', 5, null, ['png']],
  safety_tolerance: [2, '0', '7', 'high', null, ''],
  aspect_ratio: ['1:3', '16x9', '', 1.5, null, 'auto'],
  enhance_prompt: ['yes', 1, null, 'true'],
  sync_mode: ['false', 0, null],
};

/** Fields no request has; each must be refused by name, not ignored. */
export const UNKNOWN_FIELDS: readonly string[] = ['foo', 'prompt_extra', 'Seed', 'seed ', 'image', 'width', 'steps', 'constructor'];

export function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length > 30 ? `${text.slice(0, 30)}…` : text;
}
