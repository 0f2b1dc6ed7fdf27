import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import sharp from 'sharp';
import { onTestFinished } from 'vitest';
import { LOCAL_KONTEXT_SIM, LOCAL_KONTEXT_SIM_TEXT } from '../../../src/kontext/endpoints.js';
import type { KontextOutput } from '../../../src/kontext/schemas.js';
import type { Provider, WaitOptions } from '../../../src/providers/Provider.js';
import { toDataUri } from '../../../src/util/dataUri.js';

export { LOCAL_KONTEXT_SIM as EDIT, LOCAL_KONTEXT_SIM_TEXT as TEXT };

/**
 * A small landscape made for measuring: no pure white or black, hard edges at known places,
 * and a left half unlike its right half (a sun on the right, a house on the left) so that
 * mirroring and turning show. 320×240 unless told.
 */
export async function sceneImage(width = 320, height = 240, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 320 240" preserveAspectRatio="none">` +
    `<defs><linearGradient id="sky" x2="0" y2="1"><stop offset="0" stop-color="#6f9fc4"/><stop offset="1" stop-color="#b8c8a8"/></linearGradient></defs>` +
    `<rect width="320" height="240" fill="url(#sky)"/>` +
    `<rect y="160" width="320" height="80" fill="#5f9a3c"/>` +
    `<rect x="40" y="90" width="100" height="80" fill="#b0503c"/>` +
    `<polygon points="30,90 90,45 150,90" fill="#703030"/>` +
    `<circle cx="260" cy="45" r="25" fill="#e8c850"/>` +
    `</svg>`;
  const image = sharp(Buffer.from(svg));
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 92 }).toBuffer();
}

export async function sceneDataUri(width?: number, height?: number): Promise<string> {
  return toDataUri(await sceneImage(width, height), 'image/png');
}

/** A plain image of one colour. */
export function solidImage(width: number, height: number, colour: { r: number; g: number; b: number }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
}

export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Submits, waits and downloads every output: what the engine does with a turn. */
export async function runJob(
  provider: Provider,
  endpointId: string,
  input: Record<string, unknown>,
  options: WaitOptions = {},
): Promise<{ output: KontextOutput; images: Buffer[] }> {
  const job = await provider.submit(endpointId, input);
  const output = await provider.wait(endpointId, job, options);
  const images: Buffer[] = [];
  for (const image of output.images) images.push(await readAll((await provider.download(image.url)).body));
  return { output, images };
}

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  /** Red, green, blue at (x, y). */
  at(x: number, y: number): [number, number, number];
}

export async function pixels(image: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    data,
    width: info.width,
    height: info.height,
    at: (x, y) => {
      const i = (y * info.width + x) * 3;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    },
  };
}

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Mean red, green and blue over a region (the whole image by default). */
export async function meanColour(image: Buffer, region?: Region): Promise<{ r: number; g: number; b: number; brightness: number; blueShare: number }> {
  const p = await pixels(image);
  const { left, top, width, height } = region ?? { left: 0, top: 0, width: p.width, height: p.height };
  let r = 0;
  let g = 0;
  let b = 0;
  for (let y = top; y < top + height; y++) {
    for (let x = left; x < left + width; x++) {
      const [pr, pg, pb] = p.at(x, y);
      r += pr;
      g += pg;
      b += pb;
    }
  }
  const n = width * height;
  [r, g, b] = [r / n, g / n, b / n];
  return { r, g, b, brightness: (r + g + b) / 3, blueShare: b / (r + g + b) };
}

/** Mean absolute difference per channel between two images of the same size, over a region. */
export async function meanDifference(a: Buffer, b: Buffer, region?: Region): Promise<number> {
  const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
  if (pa.width !== pb.width || pa.height !== pb.height) throw new Error(`sizes differ: ${pa.width}×${pa.height} and ${pb.width}×${pb.height}`);
  const { left, top, width, height } = region ?? { left: 0, top: 0, width: pa.width, height: pa.height };
  let sum = 0;
  for (let y = top; y < top + height; y++) {
    for (let x = left; x < left + width; x++) {
      const i = (y * pa.width + x) * 3;
      for (let c = 0; c < 3; c++) sum += Math.abs(pa.data[i + c]! - pb.data[i + c]!);
    }
  }
  return sum / (width * height * 3);
}

/**
 * Mean squared difference between neighbouring pixels' luma over a region: high where the
 * picture has crisp edges, low where it is blurred. (Squared: the plain sum of differences
 * across an edge stays the same however soft the edge is.)
 */
export async function edgeEnergy(image: Buffer, region?: Region): Promise<number> {
  const p = await pixels(image);
  const { left, top, width, height } = region ?? { left: 0, top: 0, width: p.width, height: p.height };
  const luma = (x: number, y: number) => {
    const [r, g, b] = p.at(x, y);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let sum = 0;
  let n = 0;
  for (let y = top; y < top + height - 1; y++) {
    for (let x = left; x < left + width - 1; x++) {
      sum += (luma(x + 1, y) - luma(x, y)) ** 2 + (luma(x, y + 1) - luma(x, y)) ** 2;
      n++;
    }
  }
  return sum / n;
}

/** How many pixels are (nearly) pure white. */
export async function whitePixels(image: Buffer, threshold = 235): Promise<number> {
  const p = await pixels(image);
  let count = 0;
  for (let i = 0; i < p.data.length; i += 3) {
    if (p.data[i]! >= threshold && p.data[i + 1]! >= threshold && p.data[i + 2]! >= threshold) count++;
  }
  return count;
}

/**
 * A loopback HTTP server for `image_url` tests, closed when the test ends. `handler` answers
 * each request; `requests` counts what arrived.
 */
export async function imageServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: (path: string) => string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: (path) => `http://127.0.0.1:${port}${path}`, requests };
}
