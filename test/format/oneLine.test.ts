import { describe, expect, it } from 'vitest';
import { oneLine } from '../../src/format/oneLine.js';

describe('oneLine', () => {
  it('shows escape sequences, line breaks and bidi overrides/isolates as a space', () => {
    expect(oneLine('a\x1b[31mred\nb')).toBe('a [31mred b');
    // "Trojan Source": a right-to-left override would show this prompt reversed.
    expect(oneLine('make it \u202enight\u202c')).toBe('make it  night ');
    expect(oneLine('x\u2066y\u2069z')).toBe('x y z');
    expect(oneLine('plain café')).toBe('plain café');
  });
});
