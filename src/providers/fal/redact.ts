const REDACTED = '[redacted]';

/**
 * Returns a function that removes the key — and its secret half, which is just as
 * dangerous on its own — from text, bytes and JSON-like values. Used on everything a server
 * sends back before it reaches an error: a proxy or a misconfigured server can echo the
 * `Authorization` header in its error body.
 */
export function keyRedactor(key: string | undefined): <T>(value: T) => T {
  const secrets = new Set<string>();
  if (key) {
    secrets.add(key);
    const secret = key.slice(key.indexOf(':') + 1);
    // A short fragment would redact innocent text; fal secrets are long.
    if (secret.length >= 8) secrets.add(secret);
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const text = (value: string) => ordered.reduce((out, secret) => out.split(secret).join(REDACTED), value);
  const bytes = (value: Uint8Array) => {
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    // Searched as bytes, and decoded only when a secret is there (a 10,000-line log, say).
    return ordered.some((secret) => buffer.includes(secret)) ? Buffer.from(text(buffer.toString('utf8'))) : value;
  };
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return text(value);
    if (value instanceof Uint8Array) return bytes(value);
    if (depth > 20 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), walk(v, depth + 1)]));
  };
  return <T>(value: T): T => (ordered.length === 0 ? value : (walk(value, 0) as T));
}
