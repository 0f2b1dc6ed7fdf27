import { describe, expect, it } from 'vitest';
import { FAL_KONTEXT_MAX, FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import { createFalProvider } from '../../../src/providers/fal/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { sniffImageType } from '../../../src/util/imageType.js';
import { falHarness, pngBytes } from '../../support/falFixtures.js';
import { spawnFalTestServer } from '../../support/falTestServerProcess.js';

async function post(url: string, body: unknown, key?: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Key ${key}` } : {}) }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the fal test server', () => {
  it('listens on loopback only, on a random port', async () => {
    const { server } = await falHarness();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("mimics fal's URL quirk: status and response URLs drop the endpoint sub-path", async () => {
    const { server } = await falHarness();
    const { status, body } = await post(`${server.queueUrl}/${FAL_KONTEXT_MAX}`, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') }, server.key);
    expect(status).toBe(200);
    const id = body.request_id as string;
    expect(body).toMatchObject({
      status: 'IN_QUEUE',
      status_url: `${server.queueUrl}/fal-ai/flux-pro/requests/${id}/status`,
      response_url: `${server.queueUrl}/fal-ai/flux-pro/requests/${id}`,
      cancel_url: `${server.queueUrl}/fal-ai/flux-pro/requests/${id}/cancel`,
      queue_position: 0,
    });
  });

  it('answers 401 without a key and with a wrong one', async () => {
    const { server } = await falHarness();
    const input = { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') };
    expect((await post(`${server.queueUrl}/${FAL_KONTEXT_PRO}`, input)).status).toBe(401);
    expect((await post(`${server.queueUrl}/${FAL_KONTEXT_PRO}`, input, 'nope')).status).toBe(401);
    expect((await post(`${server.runUrl}/${FAL_KONTEXT_PRO}`, input, 'nope')).status).toBe(401);
    expect((await post(`${server.storageUrl}/storage/upload/initiate`, { content_type: 'image/png', file_name: 'a.png' })).status).toBe(401);
    expect(server.submissions).toHaveLength(0);
  });

  it('answers invalid input with a fal-style 422 and records nothing', async () => {
    const { server } = await falHarness();
    const { status, body } = await post(`${server.queueUrl}/${FAL_KONTEXT_PRO}`, { prompt: '', guidance_scale: 30, extra: 1 }, server.key);
    expect(status).toBe(422);
    expect(body.detail).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'prompt'], msg: 'must not be empty', type: 'greater_than_equal' },
        { loc: ['body', 'guidance_scale'], msg: '30 is above the maximum 20', type: 'less_than_equal' },
        { loc: ['body', 'image_url'], msg: expect.stringContaining('required'), type: 'missing' },
        { loc: ['body', 'extra'], msg: 'is not a known field', type: 'extra_forbidden' },
      ]),
    );
    expect(server.submissions).toHaveLength(0);
  });

  it('records submissions without the authorization header', async () => {
    const { server, fal } = await falHarness();
    await fal.submit(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') });
    expect(server.submissions).toHaveLength(1);
    expect(server.submissions[0]!.headers).not.toHaveProperty('authorization');
    expect(JSON.stringify(server.log())).not.toContain(server.key);
  });

  it('generates real images honouring num_images and output_format, and echoes the seed', async () => {
    const { server, fal } = await falHarness();
    const { output } = await fal.run(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png'), num_images: 3, output_format: 'png', seed: 5 });
    expect(output.seed).toBe(5);
    expect(output.has_nsfw_concepts).toEqual([false, false, false]);
    expect(output.images.map((image) => sniffImageType(server.fileBytes(image.url)!))).toEqual(['image/png', 'image/png', 'image/png']);
    const { output: jpeg } = await fal.run(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') });
    expect(sniffImageType(server.fileBytes(jpeg.images[0]!.url)!)).toBe('image/jpeg');
    expect(jpeg.seed).toBeGreaterThanOrEqual(0);
  });

  it('makes an output URL expire on request', async () => {
    const { server, fal } = await falHarness();
    const { output } = await fal.run(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') });
    const url = output.images[0]!.url;
    expect((await fetch(url)).status).toBe(200);
    server.expire(url);
    expect((await fetch(url)).status).toBe(404);
  });

  it('runs in a child process, with its log and faults reachable over HTTP', async () => {
    const child = await spawnFalTestServer({ inProgressMs: 50 });
    const fal = createFalProvider({ ...child.clientOptions(), pollIntervalMs: 20 });
    try {
      await child.pushFaults({ on: 'submit', kind: 'status', status: 503, retryAfter: '0' });
      const job = await fal.submit(FAL_KONTEXT_PRO, { prompt: 'x', image_url: toDataUri(await pngBytes(), 'image/png') });
      await fal.wait(FAL_KONTEXT_PRO, job);
      const log = await child.log();
      expect(log.submissions.map((s) => s.requestId)).toEqual([job.requestId]);
      expect(log.requests.filter((r) => r.target === 'submit')).toHaveLength(2);
      expect(await child.job(job.requestId)).toMatchObject({ phase: 'COMPLETED', cancelled: false });
    } finally {
      await fal.close();
      await child.stop();
    }
    expect(child.child.exitCode ?? child.child.signalCode).not.toBeNull();
  });
});
