import { gzipSync } from 'node:zlib';

/** One tar entry as written: any name (`../evil` included), type and declared size. */
export interface RawTarEntry {
  name: string;
  body?: Uint8Array | string;
  /** `0` file (default), `2` symlink, `5` directory, `1` hard link. */
  type?: '0' | '1' | '2' | '5';
  linkname?: string;
  /** Size written in the header; default the body's length (a lie tests size checks). */
  declaredSize?: number;
}

/**
 * Writes a ustar archive byte by byte, so a test can make the entries no well-behaved tar
 * tool would: parent-directory and absolute names, links, lying sizes. Gzipped by default,
 * as bundles are.
 */
export function rawTar(entries: readonly RawTarEntry[], options: { gzip?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const header = Buffer.alloc(512);
    header.write(entry.name.slice(0, 100), 0, 'utf8');
    header.write('0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(`${(entry.declaredSize ?? body.length).toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write(entry.type ?? '0', 156, 'ascii');
    if (entry.linkname) header.write(entry.linkname.slice(0, 100), 157, 'utf8');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return options.gzip === false ? tar : gzipSync(tar);
}
