import sharp from 'sharp';
import { onTestFinished } from 'vitest';
import { createFalProvider, type FalProvider } from '../../src/providers/fal/index.js';
import type { FalClientOptions } from '../../src/providers/fal/options.js';
import { startFalTestServer, type FalTestServer, type FalTestServerOptions } from './falTestServer.js';

/** A recognisable key: tests check it appears in no error, handle or log. */
export const SECRET_KEY = 'fal-key-SECRET-123:abc';

/**
 * A fresh test server and a fal provider pointed only at it (no env, no real hosts);
 * both are closed when the test ends.
 */
export async function falHarness(
  serverOptions: FalTestServerOptions = {},
  clientOptions: FalClientOptions = {},
): Promise<{ server: FalTestServer; fal: FalProvider }> {
  const server = await startFalTestServer(serverOptions);
  const fal = createFalProvider({ ...server.clientOptions(), pollIntervalMs: 20, ...clientOptions });
  onTestFinished(async () => {
    await fal.close();
    await server.close();
  });
  return { server, fal };
}

/** A real PNG of the given size and colour. */
export function pngBytes(width = 32, height = 24, colour = { r: 200, g: 40, b: 40 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
}

export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** A port nothing listens on: bound then released. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

