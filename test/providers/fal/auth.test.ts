import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/errors/AuthError.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import { createFalProvider } from '../../../src/providers/fal/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { closedPort, falHarness, pngBytes, readAll, SECRET_KEY } from '../../support/falFixtures.js';
import { RecordingClock } from '../../support/falTestClock.js';

async function input(extra: Record<string, unknown> = {}) {
  return { prompt: 'make it night', image_url: toDataUri(await pngBytes(), 'image/png'), ...extra };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

function expectNoKey(error: unknown, label: string): void {
  const e = error as Error;
  expect(e, label).toBeInstanceOf(Error);
  expect(e.message, label).not.toContain(SECRET_KEY);
  expect(JSON.stringify(e), label).not.toContain(SECRET_KEY);
  expect(String(e.cause), label).not.toContain(SECRET_KEY);
  expect(inspect(e, { depth: 8 }), label).not.toContain(SECRET_KEY);
}

describe('the fal key', () => {
  it('absent: AuthError before anything is sent', async () => {
    const { server, fal } = await falHarness({}, { key: undefined, env: { FAL_KEY: '  ' } });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toContain('FAL_KEY');
    expect(server.requests).toHaveLength(0);
  });

  it('taken from FAL_KEY when not given', async () => {
    const { server, fal } = await falHarness({ key: SECRET_KEY }, { key: undefined, env: { FAL_KEY: SECRET_KEY } });
    await fal.submit(FAL_KONTEXT_PRO, await input());
    expect(server.requestsTo('submit').map((r) => r.auth)).toEqual(['valid']);
  });

  it('refused by fal (401): AuthError with the status, not retried', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { key: 'wrong-key', clock });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(401);
    expect(server.requestsTo('submit').map((r) => r.auth)).toEqual(['invalid']);
    expect(clock.sleeps).toEqual([]);
  });

  it('appears in no error message, JSON, cause or inspection — even when the server echoes it', async () => {
    // This server does not know our key, and echoes what it was given in its 401 detail.
    const { fal: refused } = await falHarness({ key: 'the-server-key' }, { key: SECRET_KEY });
    // This one accepts it.
    const { server, fal } = await falHarness({ key: SECRET_KEY, inProgressMs: 5000 }, { key: SECRET_KEY, jobTimeoutMs: 300, clock: new RecordingClock() });
    const unreachable = createFalProvider({ ...server.clientOptions(), queueUrl: `http://127.0.0.1:${await closedPort()}`, clock: new RecordingClock() });

    const echoed = await failure(refused.submit(FAL_KONTEXT_PRO, await input()));
    expect(echoed).toBeInstanceOf(AuthError);
    expect((echoed as Error).message).toContain('[redacted]');

    const errors: [string, unknown][] = [['401 echo', echoed]];
    errors.push(['validation', await failure(fal.submit(FAL_KONTEXT_PRO, await input({ guidance_scale: 99 })))]);
    errors.push(['network', await failure(unreachable.submit(FAL_KONTEXT_PRO, await input()))]);
    server.faults.push({ on: 'submit', kind: 'drop-after-accept' });
    errors.push(['ambiguous', await failure(fal.submit(FAL_KONTEXT_PRO, await input()))]);
    const slow = await fal.submit(FAL_KONTEXT_PRO, await input());
    errors.push(['job timeout', await failure(fal.wait(FAL_KONTEXT_PRO, slow))]);
    server.faults.push({ on: 'job', kind: 'timing', inProgressMs: 10 }, { on: 'job', kind: 'fail', status: 500, detail: `leaked ${SECRET_KEY}` });
    errors.push(['failed job', await failure(fal.wait(FAL_KONTEXT_PRO, await fal.submit(FAL_KONTEXT_PRO, await input())))]);
    server.faults.push({ on: 'submit', kind: 'status', status: 429, times: 10 });
    errors.push(['rate limit', await failure(fal.submit(FAL_KONTEXT_PRO, await input()))]);
    await unreachable.close();

    expect(errors.map(([, error]) => (error as { code: string }).code)).toEqual(['AUTH', 'VALIDATION', 'NETWORK', 'AMBIGUOUS_SUBMIT', 'TIMEOUT', 'PROVIDER', 'RATE_LIMITED']);
    for (const [label, error] of errors) expectNoKey(error, label);
    expect(JSON.stringify(slow)).not.toContain(SECRET_KEY);
    expect(inspect(fal, { depth: 6 })).not.toContain(SECRET_KEY);
    expect(JSON.stringify(fal.client)).not.toContain(SECRET_KEY);
  });

  it('is sent to the fal API hosts only: not to upload URLs or file downloads', async () => {
    const { server, fal } = await falHarness({}, { inlineMaxBytes: 0 });
    const url = await fal.imageUrlFrom(await pngBytes());
    await readAll((await fal.download(url)).body);
    expect(server.requestsTo('initiate').map((r) => r.auth)).toEqual(['valid']);
    expect(server.requestsTo('upload').map((r) => r.auth)).toEqual(['none']);
    expect(server.requestsTo('file').map((r) => r.auth)).toEqual(['none']);
  });
});
