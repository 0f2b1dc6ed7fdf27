import { createFalClient } from '@fal-ai/client';
import { describe, expect, it } from 'vitest';
import { FAL_KONTEXT_MAX, FAL_KONTEXT_PRO } from '../../../src/kontext/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { falHarness, pngBytes, readAll } from '../../support/falFixtures.js';
import { falLoopbackFetch } from '../../support/falLoopbackFetch.js';
import type { FalTestServer } from '../../support/falTestServer.js';

/** The official client, able to reach the loopback test server and nothing else. */
function officialClient(server: FalTestServer) {
  return createFalClient({ credentials: server.key, fetch: falLoopbackFetch(server), suppressLocalCredentialsWarning: true });
}

/** Output minus what differs between two runs of the same job: file URLs and timings. */
function comparable(output: { images: { url: string }[]; timings?: unknown }) {
  const { timings: _timings, ...rest } = output;
  return { ...rest, images: output.images.map(({ url: _url, ...image }) => image) };
}

describe('contract: @fal-ai/client against the test server', () => {
  it('subscribe gets the same result as our client', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 120 });
    const input = { prompt: 'put a donut next to the flour', image_url: toDataUri(await pngBytes(48, 32), 'image/png'), seed: 1234, num_images: 2 };
    const updates: string[] = [];
    const official = await officialClient(server).subscribe(FAL_KONTEXT_MAX, {
      input,
      logs: true,
      pollInterval: 30,
      onQueueUpdate: (update) => updates.push(update.status),
    });
    const job = await fal.submit(FAL_KONTEXT_MAX, input);
    const ours = await fal.wait(FAL_KONTEXT_MAX, job);

    expect(official.requestId).toBe(server.submissions[0]!.requestId);
    expect(updates.at(-1)).toBe('COMPLETED');
    expect(comparable(ours)).toEqual(comparable(official.data as never));
    for (const [index, image] of ours.images.entries()) {
      const theirs = (official.data as { images: { url: string }[] }).images[index]!;
      expect(await readAll((await fal.download(image.url)).body)).toEqual(await readAll((await fal.download(theirs.url)).body));
    }
    // fal-js rebuilt the status URL from the endpoint id; it reached the same job as the URL we were given.
    expect(server.requestsTo('status').length).toBeGreaterThan(0);
    expect(server.requestsTo('status').every((r) => r.path.startsWith(`/queue/fal-ai/flux-pro/requests/${official.requestId}/status`))).toBe(true);
  });

  it('the official status, cancel and storage upload agree with the server', async () => {
    const { server, fal } = await falHarness({ inProgressMs: 5000 });
    const client = officialClient(server);
    const input = { prompt: 'make it night', image_url: toDataUri(await pngBytes(), 'image/png') };
    const { request_id: requestId } = await client.queue.submit(FAL_KONTEXT_PRO, { input });
    const status = await client.queue.status(FAL_KONTEXT_PRO, { requestId, logs: true });
    expect(['IN_QUEUE', 'IN_PROGRESS']).toContain(status.status);
    await client.queue.cancel(FAL_KONTEXT_PRO, { requestId });
    expect(server.job(requestId)).toMatchObject({ cancelled: true });

    const bytes = await pngBytes(20, 20);
    const url = await client.storage.upload(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
    expect(server.fileBytes(url)).toEqual(bytes);
    // …and our client reads the official upload, as it reads its own.
    expect(await readAll((await fal.download(url)).body)).toEqual(bytes);
  });

  it('the official synchronous run returns what ours does', async () => {
    const { fal, server } = await falHarness();
    const input = { prompt: 'make it winter', image_url: toDataUri(await pngBytes(), 'image/png'), seed: 99, sync_mode: true, output_format: 'png' as const };
    const official = await officialClient(server).run(FAL_KONTEXT_PRO, { input });
    const ours = await fal.run(FAL_KONTEXT_PRO, input);
    expect(ours.output).toEqual({ ...(official.data as object), timings: ours.output.timings });
    expect(server.submissions.map((s) => s.via)).toEqual(['run', 'run']);
  });

  it('the loopback fetch refuses every host but fal hosts and loopback', async () => {
    const { server } = await falHarness();
    const guarded = falLoopbackFetch(server);
    await expect(guarded('https://example.com/')).rejects.toThrow(/network disabled/);
    await expect(guarded('http://queue.fal.run/fal-ai/x')).rejects.toThrow(/network disabled/);
    await expect(guarded('https://10.0.0.1/')).rejects.toThrow(/network disabled/);
    expect((await guarded(`${server.url}/__log`)).status).toBe(200);
  });
});
