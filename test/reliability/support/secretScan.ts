import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Where a secret was found: the source's name and how many times. */
export interface SecretHit {
  source: string;
  needle: string;
  count: number;
}

/**
 * Collects everything the system wrote or said — files (raw bytes, and gunzipped when they
 * are gzip), captured output, error texts — and counts occurrences of each needle in it.
 */
export class SecretScanner {
  private readonly sources: { name: string; bytes: Buffer }[] = [];

  constructor(private readonly needles: readonly string[]) {}

  addText(name: string, text: string): void {
    this.sources.push({ name, bytes: Buffer.from(text, 'utf8') });
  }

  /** A file as it is on disk, plus its decompressed content when it is gzip (bundles). */
  addFile(path: string): void {
    if (!existsSync(path)) return;
    const bytes = readFileSync(path);
    this.sources.push({ name: path, bytes });
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        this.sources.push({ name: `${path} (gunzipped)`, bytes: gunzipSync(bytes) });
      } catch {
        // not a complete gzip stream: the raw bytes were scanned
      }
    }
  }

  /** Every file under `dir`, recursively. */
  addTree(dir: string): number {
    if (!existsSync(dir)) return 0;
    let n = 0;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) n += this.addTree(path);
      else {
        this.addFile(path);
        n++;
      }
    }
    return n;
  }

  get sourceCount(): number {
    return this.sources.length;
  }

  get byteCount(): number {
    return this.sources.reduce((n, s) => n + s.bytes.length, 0);
  }

  hits(): SecretHit[] {
    const out: SecretHit[] = [];
    for (const { name, bytes } of this.sources) {
      for (const needle of this.needles) {
        let count = 0;
        for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) count++;
        if (count > 0) out.push({ source: name, needle, count });
      }
    }
    return out;
  }
}
