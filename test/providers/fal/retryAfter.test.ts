import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/providers/fal/retryAfter.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter(' 7 ', NOW)).toBe(7000);
  });

  it('reads all three HTTP-date forms relative to the given now', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Sunday, 01-Jun-25 12:00:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Sun Jun  1 12:00:05 2025', NOW)).toBe(5000);
  });

  it('never returns a negative wait for a date in the past', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
  });

  it('caps long waits', () => {
    expect(parseRetryAfter('3600', NOW, 10_000)).toBe(10_000);
    expect(parseRetryAfter('99999999999999999999', NOW)).toBe(60_000);
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:00:00 GMT', NOW, 10_000)).toBe(10_000);
  });

  it('returns undefined for what is not a valid value, so the caller uses its own backoff', () => {
    for (const value of [undefined, null, '', 'soon', '-1', '1.5', '2 seconds', '2025-06-01T12:00:05Z']) {
      expect(parseRetryAfter(value, NOW), String(value)).toBeUndefined();
    }
  });
});
