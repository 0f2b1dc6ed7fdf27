import { describe, expect, it } from 'vitest';
import { AmbiguousSubmitError } from '../../../src/errors/AmbiguousSubmitError.js';
import { CancelledError } from '../../../src/errors/CancelledError.js';
import { NetworkError } from '../../../src/errors/NetworkError.js';
import { ProviderError } from '../../../src/errors/ProviderError.js';
import { RateLimitError } from '../../../src/errors/RateLimitError.js';
import { TimeoutError } from '../../../src/errors/TimeoutError.js';
import { FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import { backoffDelay, READ_RETRY, SUBMIT_RETRY } from '../../../src/providers/fal/retry.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { closedPort, falHarness, pngBytes } from '../../support/falFixtures.js';
import { RecordingClock } from '../../support/falTestClock.js';

const half = () => 0.5;

async function input() {
  return { prompt: 'make it night', image_url: toDataUri(await pngBytes(), 'image/png') };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('retries of a submit', () => {
  it('429 with Retry-After: waits what the server asked, then submits once', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'status', status: 429, retryAfter: '1' });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    expect(clock.sleeps).toEqual([1000]);
    expect(server.requestsTo('submit')).toHaveLength(2);
    expect(server.submissions.map((s) => s.requestId)).toEqual([job.requestId]);
  });

  it('Retry-After as an HTTP date is measured against the injected clock', async () => {
    const clock = new RecordingClock(Date.parse('2025-06-01T12:00:00Z'));
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'status', status: 503, retryAfter: 'Sun, 01 Jun 2025 12:00:03 GMT' });
    await fal.submit(FAL_KONTEXT_PRO, await input());
    expect(clock.sleeps).toEqual([3000]);
  });

  it('without Retry-After, backs off exponentially with jitter from the injected random source', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'status', status: 503, times: 2 }, { on: 'submit', kind: 'status', status: 502 });
    await fal.submit(FAL_KONTEXT_PRO, await input());
    expect(clock.sleeps).toEqual([1, 2, 3].map((retry) => backoffDelay(retry, SUBMIT_RETRY, half)));
    expect(clock.sleeps).toEqual([375, 750, 1500]);
    expect(server.submissions).toHaveLength(1);
  });

  it('a long Retry-After is capped', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half, maxRetryAfterMs: 5000 });
    server.faults.push({ on: 'submit', kind: 'status', status: 429, retryAfter: '3600' });
    await fal.submit(FAL_KONTEXT_PRO, await input());
    expect(clock.sleeps).toEqual([5000]);
  });

  it('gives up after a bounded number of tries with RateLimitError', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'status', status: 429, retryAfter: '2', times: 10 });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(2000);
    expect(server.requestsTo('submit')).toHaveLength(SUBMIT_RETRY.maxAttempts);
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    expect(server.submissions).toHaveLength(0);
  });

  it('a 500 is not retried: the server may have started the job', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'status', status: 500, body: { detail: 'boom' } });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 500, detail: 'boom' });
    expect(server.requestsTo('submit')).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('a submit dropped after fal accepted it is not repeated: AmbiguousSubmitError, exactly one submission', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'drop-after-accept' });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(AmbiguousSubmitError);
    expect((error as AmbiguousSubmitError).details).toEqual({ endpointId: FAL_KONTEXT_PRO });
    expect(server.submissions).toHaveLength(1);
    expect(server.requestsTo('submit')).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('a connection reset with no answer is ambiguous too, and not repeated', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'submit', kind: 'reset' });
    await expect(fal.submit(FAL_KONTEXT_PRO, await input())).rejects.toBeInstanceOf(AmbiguousSubmitError);
    expect(server.requestsTo('submit')).toHaveLength(1);
  });

  it('no answer within responseTimeoutMs is ambiguous, with a response TimeoutError as the cause', async () => {
    const { server, fal } = await falHarness({}, { responseTimeoutMs: 200 });
    server.faults.push({ on: 'submit', kind: 'hang' });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(AmbiguousSubmitError);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    expect(((error as Error).cause as TimeoutError).phase).toBe('response');
    expect(server.submissions).toHaveLength(1);
  });

  it('aborting a submit in flight is ambiguous (fal may have it); an aborted signal sends nothing', async () => {
    const { server, fal } = await falHarness();
    server.faults.push({ on: 'submit', kind: 'hang' });
    const controller = new AbortController();
    const pending = fal.submit(FAL_KONTEXT_PRO, await input(), { signal: controller.signal });
    while (server.submissions.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await failure(pending);
    expect(error).toBeInstanceOf(AmbiguousSubmitError);
    expect((error as Error).cause).toBeInstanceOf(CancelledError);

    const before = server.requests.length;
    await expect(fal.submit(FAL_KONTEXT_PRO, await input(), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(server.requests).toHaveLength(before);
  });

  it('connection refused is retried (nothing can have been accepted), then fails with NetworkError', async () => {
    const clock = new RecordingClock();
    const { fal } = await falHarness({}, { clock, random: half, queueUrl: `http://127.0.0.1:${await closedPort()}` });
    const error = await failure(fal.submit(FAL_KONTEXT_PRO, await input()));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(clock.sleeps).toEqual([375, 750, 1500]);
  });

  it('a synchronous run dropped after acceptance is not repeated either', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'run', kind: 'drop-after-accept' });
    await expect(fal.run(FAL_KONTEXT_PRO, await input())).rejects.toBeInstanceOf(AmbiguousSubmitError);
    expect(server.submissions).toHaveLength(1);
    expect(server.requestsTo('run')).toHaveLength(1);
  });
});

describe('retries of idempotent reads', () => {
  it('status polls are retried after resets and 500s', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({ inProgressMs: 30 }, { clock, random: half, statusMode: 'poll', pollIntervalMs: 1 });
    server.faults.push({ on: 'status', kind: 'reset' }, { on: 'status', kind: 'status', status: 500 });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    const output = await fal.wait(FAL_KONTEXT_PRO, job);
    expect(output.images).toHaveLength(1);
    expect(clock.sleeps.slice(0, 2)).toEqual([backoffDelay(1, READ_RETRY, half), backoffDelay(2, READ_RETRY, half)]);
  });

  it('the result is retried after a 503 with Retry-After', async () => {
    const clock = new RecordingClock();
    const { server, fal } = await falHarness({}, { clock, random: half });
    server.faults.push({ on: 'result', kind: 'status', status: 503, retryAfter: '4' });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    await fal.wait(FAL_KONTEXT_PRO, job);
    expect(clock.sleeps).toEqual([4000]);
    expect(server.requestsTo('result')).toHaveLength(2);
  });

  it('a result read that hangs is retried after the response timeout', async () => {
    const { server, fal } = await falHarness({}, { responseTimeoutMs: 200, readRetry: { baseDelayMs: 1 } });
    server.faults.push({ on: 'result', kind: 'hang' });
    const job = await fal.submit(FAL_KONTEXT_PRO, await input());
    await expect(fal.wait(FAL_KONTEXT_PRO, job)).resolves.toMatchObject({ images: [expect.anything()] });
    expect(server.requestsTo('result')).toHaveLength(2);
  });
});
