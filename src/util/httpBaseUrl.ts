/**
 * `value` as a base URL to append paths to: http(s), no query or fragment, no trailing slash.
 * Undefined when it is not one, so each caller can name its own field in the refusal.
 */
export function httpBaseUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.search || url.hash) return undefined;
  return url.href.replace(/\/+$/, '');
}
