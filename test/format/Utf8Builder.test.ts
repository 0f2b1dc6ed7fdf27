import { describe, expect, it } from 'vitest';
import { Utf8Builder } from '../../src/format/Utf8Builder.js';

describe('Utf8Builder', () => {
  it('encodes text as UTF-8, multi-byte characters and surrogate pairs included', () => {
    const out = new Utf8Builder(16);
    out.text('snow · ❄ 🌙 ');
    out.byte(0x2a);
    out.repeat('| ', 2);
    out.repeat('| ', 0);
    expect(out.bytes().toString('utf8')).toBe('snow · ❄ 🌙 *| | ');
    expect(out.length).toBe(Buffer.byteLength('snow · ❄ 🌙 *| | '));
  });

  it('grows past its first buffer without losing what was written', () => {
    const out = new Utf8Builder(16);
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const piece = `${i}: é🌙\n`;
      out.text(piece);
      expected.push(piece);
    }
    expect(out.bytes().toString('utf8')).toBe(expected.join(''));
  });

  it('copies byte ranges from another builder or itself, short ones and long ones alike', () => {
    const source = new Utf8Builder(16);
    source.text('short·');
    const shortEnd = source.length;
    const long = `${'long line with ünïcödé '.repeat(40)}`; // > 512 bytes: the Buffer#copy path
    source.text(long);
    const out = new Utf8Builder(8);
    out.copyFrom(source, shortEnd, source.length);
    out.copyFrom(source, 0, shortEnd);
    out.copyFrom(out, 0, 4);
    expect(out.bytes().toString('utf8')).toBe(`${long}short·long`);
  });
});
