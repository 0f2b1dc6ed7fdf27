import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/blobs/MemoryBlobStore.js';
import { openEngine } from '../../src/engine/openEngine.js';
import { SessionEngine, type EngineOptions } from '../../src/engine/SessionEngine.js';
import { ValidationError } from '../../src/errors/ValidationError.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { SessionStore } from '../../src/store/SessionStore.js';
import { toDataUri } from '../../src/util/dataUri.js';
import { testImage } from '../support/images.js';
import { testTempDir } from '../support/testTempDir.js';

const FORMS = '{ path }, { url }, { bytes } or { dataUri }';

function engineWith(options: Partial<EngineOptions> = {}): SessionEngine {
  return new SessionEngine({ store: SessionStore.inMemory(), blobs: new MemoryBlobStore(), providers: [createLocalProvider()], ...options });
}

/** The bytes of a session's source image, as archived. */
async function rootBytes(engine: SessionEngine, sessionId: string): Promise<{ bytes: Buffer; providerUrl: string | null }> {
  const session = await engine.getSession(sessionId);
  const [output] = (await engine.getTurn(session.headTurnId!)).outputs;
  return { bytes: await engine.blobs.get(output!.blobHash), providerUrl: output!.providerUrl };
}

/** The ValidationError a promise rejects with (fails the test when it resolves or throws anything else). */
async function validationError(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

let servers: Server[] = [];
afterEach(() => {
  for (const server of servers) server.close();
  servers = [];
});

/** An image server on 127.0.0.1 that counts the requests it gets. */
async function imageServer(bytes: Buffer): Promise<{ origin: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

describe('an image is given in a tagged form, never as a bare value', () => {
  it('a bare path string is refused by the library, saying what it got and what is allowed', async () => {
    const dir = testTempDir('image-input-');
    const file = join(dir, 'photo.png');
    writeFileSync(file, await testImage());
    const engine = engineWith({ allowLocalFiles: true });
    const error = await validationError(engine.startSession({ image: file as never }));
    expect(error.issues).toEqual([{ field: 'image', message: expect.stringContaining(`is a string; give ${FORMS}`) }]);
    expect(await engine.listSessions()).toEqual([]);
  });

  it('bare bytes, an object with two forms and one with none are refused with the allowed forms', async () => {
    const engine = engineWith();
    const png = await testImage();
    const cases: [unknown, string][] = [
      [png, `is a Uint8Array; give ${FORMS} (wrap the bytes as { bytes })`],
      [{ bytes: png, url: 'https://example.com/a.png' }, `has both url and bytes; give exactly one of ${FORMS}`],
      [{ uri: 'https://example.com/a.png' }, `is an object with key uri; give exactly one of ${FORMS}`],
      [{ url: 'https://example.com/a.png', headers: {} }, 'has unknown key headers beside url; it takes no other key'],
    ];
    for (const [image, message] of cases) {
      const error = await validationError(engine.startSession({ image: image as never }));
      expect(error.issues).toEqual([{ field: 'image', message }]);
    }
    expect(await engine.listSessions()).toEqual([]);
  });

  it('{ bytes } and { dataUri } of the same picture start sessions from the same archived image', async () => {
    const engine = engineWith();
    const png = await testImage();
    const fromBytes = await engine.startSession({ image: { bytes: new Uint8Array(png), contentType: 'image/png' } });
    const fromUri = await engine.startSession({ image: { dataUri: toDataUri(png, 'image/png') } });
    expect((await rootBytes(engine, fromBytes.id)).bytes.equals(png)).toBe(true);
    expect((await rootBytes(engine, fromUri.id)).bytes.equals(png)).toBe(true);
  });
});

describe('{ path } reads local files only when the engine allows it', () => {
  it('is refused by default, with how to allow it, and read with allowLocalFiles: true', async () => {
    const dir = testTempDir('image-input-');
    const file = join(dir, 'photo.png');
    const png = await testImage();
    writeFileSync(file, png);

    const strict = engineWith();
    const error = await validationError(strict.startSession({ image: { path: file } }));
    expect(error.issues[0]!.field).toBe('image.path');
    expect(error.message).toContain('reading local files is off');
    expect(error.message).toContain('allowLocalFiles: true');
    expect(await strict.listSessions()).toEqual([]);

    const trusting = engineWith({ allowLocalFiles: true });
    const session = await trusting.startSession({ image: { path: file } });
    expect((await rootBytes(trusting, session.id)).bytes.equals(png)).toBe(true);
  });

  it('openEngine passes allowLocalFiles through to its engine', async () => {
    const dir = testTempDir('image-input-');
    const file = join(dir, 'photo.png');
    writeFileSync(file, await testImage());
    const strict = openEngine({ dataDir: join(dir, 'strict'), provider: 'local', env: {} });
    const trusting = openEngine({ dataDir: join(dir, 'trusting'), provider: 'local', env: {}, allowLocalFiles: true });
    try {
      await expect(strict.engine.startSession({ image: { path: file } })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('allowLocalFiles') });
      expect((await trusting.engine.startSession({ image: { path: file } })).headTurnId).toBeTruthy();
    } finally {
      await strict.close();
      await trusting.close();
    }
  });
});

describe('{ url } goes through the SSRF guard by default', () => {
  it('a numeric loopback URL is refused before any connection, and fetched with ssrf.allowLoopback', async () => {
    const png = await testImage();
    const origin = await imageServer(png);
    const url = `${origin.origin}/photo.png`;

    const strict = engineWith();
    await expect(strict.startSession({ image: { url } })).rejects.toMatchObject({
      code: 'UNSAFE_URL',
      details: { field: 'image.url', reason: 'loopback' },
      message: expect.stringContaining('image.url points at 127.0.0.1, a loopback address'),
    });
    expect(origin.requests()).toBe(0);
    expect(await strict.listSessions()).toEqual([]);

    const trusting = engineWith({ ssrf: { allowLoopback: true } });
    const session = await trusting.startSession({ image: { url } });
    expect(origin.requests()).toBe(1);
    expect(await rootBytes(trusting, session.id)).toEqual({ bytes: png, providerUrl: url });
  });

  it('a name resolving to loopback is judged by its address, with or without allowLoopback', async () => {
    const png = await testImage();
    const origin = await imageServer(png);
    const port = new URL(origin.origin).port;
    const lookup = async (host: string) => {
      if (host !== 'images.test') throw Object.assign(new Error(`unexpected lookup of ${host}`), { code: 'ENOTFOUND' });
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const url = `http://images.test:${port}/photo.png`;

    await expect(engineWith({ ssrf: { lookup } }).startSession({ image: { url } })).rejects.toMatchObject({ code: 'UNSAFE_URL', details: { reason: 'loopback' } });
    expect(origin.requests()).toBe(0);

    const trusting = engineWith({ ssrf: { lookup, allowLoopback: true } });
    const session = await trusting.startSession({ image: { url } });
    expect((await rootBytes(trusting, session.id)).bytes.equals(png)).toBe(true);
    expect(origin.requests()).toBe(1);
  });

  it('a scheme other than http(s) is refused even by a custom fetcher that would take it', async () => {
    const asked: string[] = [];
    const engine = engineWith({
      fetchImage: async (url) => {
        asked.push(url);
        return testImage();
      },
    });
    const error = await validationError(engine.startSession({ image: { url: 'file:///etc/passwd' } }));
    expect(error.issues).toEqual([{ field: 'image.url', message: "'file:' URLs are not supported; allowed: http:, https:" }]);
    expect(asked).toEqual([]);
  });
});
