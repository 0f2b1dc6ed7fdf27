/**
 * Text built as UTF-8 bytes in one growing buffer, for output too large to hold as strings:
 * `kontext log` on a 10,000-turn tree keeps 10,000 lines until it knows their order, and as
 * JS strings each one is a chain of heap objects the garbage collector keeps copying; bytes
 * outside the JS heap cost it nothing.
 */
export class Utf8Builder {
  private buffer: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  /** Appends `text`, UTF-8 encoded. */
  text(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8 (a surrogate pair: 4 for 2).
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** Appends `count` copies of an ASCII `unit` (lane drawing: `| `, ` |`). */
  repeat(unit: string, count: number): void {
    if (count > 0) this.text(unit.repeat(count));
  }

  /** Appends one byte (an ASCII character code). */
  byte(code: number): void {
    this.reserve(1);
    this.buffer[this.length++] = code;
  }

  /** Appends bytes `start` to `end` of what `source` has written (the same builder included). */
  copyFrom(source: Utf8Builder, start: number, end: number): void {
    this.reserve(end - start);
    this.length += source.buffer.copy(this.buffer, this.length, start, end);
  }

  /** What was written: a view of the builder's memory, valid until the next append. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
