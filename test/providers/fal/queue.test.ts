import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../src/errors/CancelledError.js';
import { ProviderError } from '../../../src/errors/ProviderError.js';
import { TimeoutError } from '../../../src/errors/TimeoutError.js';
import { EndpointRegistry, FAL_KONTEXT_MAX, FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import type { ProgressEvent } from '../../../src/providers/Provider.js';
import { createFalProvider, parseRequestHandle } from '../../../src/providers/fal/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { sniffImageType } from '../../../src/util/imageType.js';
import { falHarness, pngBytes, readAll } from '../../support/falFixtures.js';

async function input(extra: Record<string, unknown> = {}) {
  return { prompt: 'make it night', image_url: toDataUri(await pngBytes(), 'image/png'), seed: 42, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('fal queue: submit → status stream → result', () => {
  it('returns the validated output and reports queued, each new log line once, and completion', async () => {
    const { server, fal } = await falHarness({ queueMs: 0, inProgressMs: 150, logIntervalMs: 15 });
    server.faults.push({ on: 'job', kind: 'timing', hold: true });
    const events: ProgressEvent[] = [];
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const output = await fal.wait(FAL_KONTEXT_PRO, job, {
      onProgress: (event) => {
        events.push(event);
        if (event.type === 'queued') server.release(job.requestId);
      },
    });

    expect(output.seed).toBe(42);
    expect(output.prompt).toBe('make it night');
    expect(output.images).toHaveLength(1);
    const bytes = await readAll((await fal.download(output.images[0]!.url)).body);
    expect(sniffImageType(bytes)).toBe('image/jpeg');

    expect(events[0]).toEqual({ type: 'queued', position: 0 });
    const reported = events.flatMap((event) => (event.type === 'running' ? event.logs.map((line) => line.message) : []));
    const all = (await fal.client.status(FAL_KONTEXT_PRO, parseRequestHandle(job.requestId, job.handle))).logs!.map((line) => line.message);
    expect(reported).toEqual(all);
    expect(all.length).toBeGreaterThan(2);
    expect(events.at(-1)).toEqual({ type: 'completed', metrics: { inference_time: 0.15 } });

    // The stream told us of completion: no polling was needed.
    expect(server.requestsTo('submit')).toHaveLength(1);
    expect(server.requestsTo('stream')).toHaveLength(1);
    expect(server.requestsTo('status')).toHaveLength(1); // the one made by this test above
    expect(server.requestsTo('result')).toHaveLength(1);
  });

  it('records one submission with the validated input, sent as JSON', async () => {
    const { server, fal } = await falHarness();
    const sent = await input({ guidance_scale: 5 });
    const job = await fal.submit(FAL_KONTEXT_PRO, sent);
    expect(server.submissions).toHaveLength(1);
    const [submission] = server.submissions;
    expect(submission!.requestId).toBe(job.requestId);
    expect(submission!.endpointId).toBe(FAL_KONTEXT_PRO);
    expect(submission!.body).toEqual({ ...sent, sync_mode: false, num_images: 1, output_format: 'jpeg', safety_tolerance: '2', enhance_prompt: false });
    expect(submission!.headers['content-type']).toBe('application/json');
  });

  it("uses the status and response URLs as fal returned them (sub-path dropped), and keeps them in the handle", async () => {
    const { server, fal } = await falHarness();
    const job = await fal.submit(FAL_KONTEXT_MAX, await input());
    expect(job.handle).toEqual({
      statusUrl: `${server.queueUrl}/fal-ai/flux-pro/requests/${job.requestId}/status`,
      responseUrl: `${server.queueUrl}/fal-ai/flux-pro/requests/${job.requestId}`,
      cancelUrl: `${server.queueUrl}/fal-ai/flux-pro/requests/${job.requestId}/cancel`,
    });
    await fal.wait(FAL_KONTEXT_MAX, job);
    const paths = server.requests.filter((r) => r.target === 'stream' || r.target === 'result').map((r) => r.path);
    expect(paths).toHaveLength(2);
    for (const path of paths) expect(path.startsWith(`/queue/fal-ai/flux-pro/requests/${job.requestId}`)).toBe(true);
  });

  it('finishes a job submitted by an earlier process from its stored handle', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 200 });
    const stored = JSON.parse(JSON.stringify(await fal.submit(FAL_KONTEXT_PRO, await input()))) as { requestId: string; handle: Record<string, unknown> };
    await fal.close();
    const restarted = createFalProvider(server.clientOptions());
    try {
      const output = await restarted.wait(FAL_KONTEXT_PRO, stored);
      expect(output.seed).toBe(42);
      expect(server.submissions).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });

  it('polls instead when the status stream is refused', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 150 });
    server.faults.push({ on: 'stream', kind: 'status', status: 405 });
    const events: ProgressEvent[] = [];
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const output = await fal.wait(FAL_KONTEXT_PRO, job, { onProgress: (event) => events.push(event) });
    expect(output.seed).toBe(42);
    expect(server.requestsTo('stream')).toHaveLength(1);
    expect(server.requestsTo('status').length).toBeGreaterThan(1);
    expect(server.requestsTo('status').every((r) => r.path.endsWith('?logs=1'))).toBe(true);
    expect(events.at(-1)?.type).toBe('completed');
  });

  it('polls instead when the status stream breaks midway, reporting no log line twice', async () => {
    const { server, fal } = await falHarness({ queueMs: 0, inProgressMs: 200, logIntervalMs: 10 });
    server.faults.push({ on: 'stream', kind: 'cut' });
    const events: ProgressEvent[] = [];
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    await fal.wait(FAL_KONTEXT_PRO, job, { onProgress: (event) => events.push(event) });
    expect(server.requestsTo('status').length).toBeGreaterThan(0);
    const messages = events.flatMap((event) => (event.type === 'running' ? event.logs.map((line) => `${line.timestamp}|${line.message}`) : []));
    expect(new Set(messages).size).toBe(messages.length);
    expect(messages.at(-1)).toMatch(/\|Done$/);
  });

  it('never opens a stream in poll mode', async () => {
    const { server, fal } = await falHarness({}, { statusMode: 'poll' });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    await fal.wait(FAL_KONTEXT_PRO, job);
    expect(server.requestsTo('stream')).toHaveLength(0);
    expect(server.requestsTo('status').length).toBeGreaterThan(0);
  });

  it('reports the queue position', async () => {
    const { server, fal } = await falHarness({ queueMs: 0, inProgressMs: 20 });
    server.faults.push({ on: 'job', kind: 'timing', hold: true, times: 2 });
    const first = await fal.submit(FAL_KONTEXT_PRO, await input());
    const second = await fal.submit(FAL_KONTEXT_PRO, await input());
    const events: ProgressEvent[] = [];
    await fal.wait(FAL_KONTEXT_PRO, second, {
      onProgress: (event) => {
        events.push(event);
        if (event.type === 'queued' && event.position === 1) server.release(first.requestId);
        if (event.type === 'queued' && event.position === 0) server.release(second.requestId);
      },
    });
    expect(events.filter((event) => event.type === 'queued')).toEqual([
      { type: 'queued', position: 1 },
      { type: 'queued', position: 0 },
    ]);
  });
});

describe('fal queue: cancel, abort and timeouts', () => {
  it('cancel asks fal to cancel the job', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 5000 });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    await fal.cancel(FAL_KONTEXT_PRO, job);
    expect(server.requestsTo('cancel')).toHaveLength(1);
    expect(server.job(job.requestId)).toMatchObject({ cancelled: true });
  });

  it('cancelling a finished job is not an error', async () => {
    const { server, fal } = await falHarness();
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    await fal.wait(FAL_KONTEXT_PRO, job);
    await expect(fal.client.cancel(FAL_KONTEXT_PRO, parseRequestHandle(job.requestId, job.handle))).resolves.toBe('ALREADY_COMPLETED');
    expect(server.job(job.requestId)).toMatchObject({ cancelled: false, phase: 'COMPLETED' });
  });

  it('aborting wait cancels the job on fal and throws CancelledError', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 5000 });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const controller = new AbortController();
    const error = await failure(
      fal.wait(FAL_KONTEXT_PRO, job, {
        signal: controller.signal,
        onProgress: (event) => {
          if (event.type === 'running') controller.abort();
        },
      }),
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).details).toEqual({ requestId: job.requestId });
    expect(server.requestsTo('cancel')).toHaveLength(1);
    expect(server.job(job.requestId)).toMatchObject({ cancelled: true });
  });

  it('a job over jobTimeoutMs is cancelled and fails with TimeoutError phase job', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 5000 }, { jobTimeoutMs: 300 });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const error = await failure(fal.wait(FAL_KONTEXT_PRO, job));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('job');
    expect(server.job(job.requestId)).toMatchObject({ cancelled: true });
  });
});

describe('fal queue: errors from fal', () => {
  it("a failed job surfaces fal's detail and the request id", async () => {
    const { server, fal } = await falHarness();
    server.faults.push({ on: 'job', kind: 'fail', status: 500, detail: 'GPU fell over' });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const error = await failure(fal.wait(FAL_KONTEXT_PRO, job));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 500, detail: 'GPU fell over', requestId: job.requestId });
    expect((error as Error).message).toContain('GPU fell over');
  });

  it('a 422 from the job keeps the {loc, msg, type} list and names the field', async () => {
    const { server, fal } = await falHarness();
    const job = await fal.submit(FAL_KONTEXT_PRO, await input({ image_url: `${server.url}/files/nothing-here.png` }));
    const error = (await failure(fal.wait(FAL_KONTEXT_PRO, job))) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.status).toBe(422);
    expect(error.detail).toEqual([expect.objectContaining({ loc: ['body', 'image_url'], type: 'image_load_error' })]);
    expect(error.message).toContain('image_url: Failed to load the image');
  });

  it("a 422 at submit (fal's schema stricter than ours) keeps the detail; nothing was accepted", async () => {
    const loose = new EndpointRegistry().with({ ...new EndpointRegistry().get(FAL_KONTEXT_PRO), input: z.record(z.string(), z.unknown()) });
    const { server, fal } = await falHarness({}, { endpoints: loose });
    const error = (await failure(fal.submit(FAL_KONTEXT_PRO, { ...(await input()), guidance_scale: 50, safety_tolerance: 2 }))) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.status).toBe(422);
    expect((error.detail as { loc: unknown[] }[]).map((item) => item.loc)).toEqual([
      ['body', 'guidance_scale'],
      ['body', 'safety_tolerance'],
    ]);
    expect(error.message).toMatch(/guidance_scale: .*; safety_tolerance: /);
    expect(server.submissions).toHaveLength(0);
  });

  it('a malformed result is a ProviderError, not a crash', async () => {
    const { server, fal } = await falHarness();
    server.faults.push({ on: 'result', kind: 'status', status: 200, body: { images: 'none' } });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const error = await failure(fal.wait(FAL_KONTEXT_PRO, job));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toContain('malformed result');
    expect((error as ProviderError).requestId).toBe(job.requestId);
  });
});
