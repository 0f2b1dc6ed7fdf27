import { describe, expect, it } from 'vitest';
import { keyRedactor } from '../../../src/providers/fal/redact.js';

const KEY = 'redact-test-id:redact-test-secret-0a1b2c3d';
const SECRET = KEY.split(':')[1]!;

describe('keyRedactor', () => {
  const redact = keyRedactor(KEY);

  it('removes the key and its secret half from text and from JSON-like values', () => {
    expect(redact(`Authorization: Key ${KEY}; again ${SECRET}`)).toBe('Authorization: Key [redacted]; again [redacted]');
    expect(redact({ headers: [`Key ${KEY}`], [SECRET]: 1 })).toEqual({ headers: ['Key [redacted]'], '[redacted]': 1 });
  });

  it('removes them from bytes, and hands bytes without them back untouched', () => {
    const leaking = Buffer.from(`* abcd1234 prompt ❄ with ${SECRET} pasted\n`);
    expect(Buffer.from(redact(leaking)).toString('utf8')).toBe('* abcd1234 prompt ❄ with [redacted] pasted\n');
    const clean = new Uint8Array(Buffer.from('* abcd1234 make it night ❄\n'));
    expect(redact(clean)).toBe(clean);
  });

  it('is the identity without a key', () => {
    const bytes = Buffer.from(SECRET);
    expect(keyRedactor(undefined)(bytes)).toBe(bytes);
    expect(keyRedactor('')(SECRET)).toBe(SECRET);
  });
});
