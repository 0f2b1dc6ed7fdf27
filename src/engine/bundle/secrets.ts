import { ValidationError, type ValidationIssue } from '../../errors/ValidationError.js';

/**
 * The strings to look for. A fal key is `<key id>:<key secret>`; the secret half alone is
 * just as dangerous, so it is searched for too (when long enough not to match by chance).
 */
function needles(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of secrets) {
    const secret = raw.trim();
    if (secret === '') continue;
    out.add(secret);
    const half = secret.slice(secret.lastIndexOf(':') + 1);
    if (half !== secret && half.length >= 8) out.add(half);
  }
  return [...out];
}

/**
 * Throws a ValidationError naming every manifest field that contains one of `secrets`
 * (without repeating the secret). Rows hold no secrets by design; this is the backstop for
 * a key pasted into a prompt or param.
 */
export function refuseSecrets(manifest: unknown, json: string, secrets: readonly string[]): void {
  const wanted = needles(secrets);
  if (wanted.length === 0) return;
  const contains = (text: string) => wanted.some((n) => text.includes(n));
  const issues: ValidationIssue[] = [];
  const message = 'contains a secret (such as FAL_KEY); remove it from the session before exporting';
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (contains(value)) issues.push({ field: path, message });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, path ? `${path}.${i}` : String(i)));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        if (contains(key)) issues.push({ field: at, message: 'is a field name that ' + message });
        walk(item, at);
      }
    }
  };
  walk(manifest, '');
  // The JSON text is what leaves the machine; search it too, in case a secret only appears
  // once serialized (e.g. one made of digits, inside a number).
  if (issues.length === 0 && contains(json)) issues.push({ field: '', message: `the manifest ${message}` });
  if (issues.length > 0) throw new ValidationError(issues, 'export refused');
}
