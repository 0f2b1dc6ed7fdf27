import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/ValidationError.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import { DEFAULT_QUEUE_URL, DEFAULT_RUN_URL, DEFAULT_STORAGE_URL, resolveFalOptions } from '../../../src/providers/fal/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { closedPort, falHarness, pngBytes } from '../../support/falFixtures.js';

describe('fal client options', () => {
  it("default to fal's hosts", async () => {
    const options = resolveFalOptions({ env: {} });
    expect([options.queueUrl, options.runUrl, options.storageUrl]).toEqual([DEFAULT_QUEUE_URL, DEFAULT_RUN_URL, DEFAULT_STORAGE_URL]);
    expect(DEFAULT_STORAGE_URL).toBe('https://rest.fal.ai');
    await options.dispatcher.close();
  });

  it('take FAL_QUEUE_URL, FAL_RUN_URL and FAL_STORAGE_URL from the env; explicit options win', async () => {
    const env = { FAL_QUEUE_URL: 'http://127.0.0.1:1/q/', FAL_RUN_URL: 'http://127.0.0.1:1/r', FAL_STORAGE_URL: 'http://127.0.0.1:1/s' };
    const fromEnv = resolveFalOptions({ env });
    expect([fromEnv.queueUrl, fromEnv.runUrl, fromEnv.storageUrl]).toEqual(['http://127.0.0.1:1/q', 'http://127.0.0.1:1/r', 'http://127.0.0.1:1/s']);
    const explicit = resolveFalOptions({ env, queueUrl: 'http://127.0.0.1:2' });
    expect(explicit.queueUrl).toBe('http://127.0.0.1:2');
    await Promise.all([fromEnv.dispatcher.close(), explicit.dispatcher.close()]);
  });

  it('refuse malformed values, listing each', () => {
    const error = (() => {
      try {
        resolveFalOptions({ env: {}, queueUrl: 'ftp://x', responseTimeoutMs: -1, submitRetry: { maxAttempts: 0 } });
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((issue) => issue.field)).toEqual(['queueUrl', 'responseTimeoutMs', 'submitRetry.maxAttempts']);
  });

  it('behind a proxy that passes upstream URLs through, the key goes only to the configured queue host', async () => {
    // Upstream fal serves its queue at the root. The advertised host is loopback too, with
    // nothing listening: a client that used it as given would fail with ECONNREFUSED.
    const advertised = `http://localhost:${await closedPort()}`;
    const { server, fal } = await falHarness({ advertisedQueueUrl: advertised });
    const job = await fal.submit(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') });
    expect(job.handle.statusUrl).toBe(`${advertised}/fal-ai/flux-pro/requests/${job.requestId}/status`);
    await fal.wait(FAL_KONTEXT_PRO, job);
    expect(server.requestsTo('stream').map((r) => r.auth)).toEqual(['valid']);
    expect(server.requestsTo('result').map((r) => r.path)).toEqual([`/queue/fal-ai/flux-pro/requests/${job.requestId}`]);
  });
});
