import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors/ProviderError.js';
import { ValidationError } from '../../../src/errors/ValidationError.js';
import { FAL_KONTEXT_PRO, FAL_KONTEXT_PRO_TEXT } from '../../../src/kontext/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { sniffImageType } from '../../../src/util/imageType.js';
import { falHarness, pngBytes, readAll } from '../../support/falFixtures.js';

describe('run: the synchronous endpoint', () => {
  it('sync_mode returns data URIs that decode to images of the asked format and count', async () => {
    const { server, fal } = await falHarness();
    const { requestId, output } = await fal.run(FAL_KONTEXT_PRO, {
      prompt: 'make it night',
      image_url: toDataUri(await pngBytes(), 'image/png'),
      sync_mode: true,
      num_images: 2,
      output_format: 'png',
      seed: 7,
    });
    expect(requestId).toBe(server.submissions[0]!.requestId);
    expect(output.seed).toBe(7);
    expect(output.images).toHaveLength(2);
    for (const image of output.images) {
      expect(image.url.startsWith('data:image/png;base64,')).toBe(true);
      const downloaded = await fal.download(image.url);
      expect(sniffImageType(await readAll(downloaded.body))).toBe('image/png');
    }
    expect(server.submissions.map((s) => s.via)).toEqual(['run']);
    expect(server.requests.filter((r) => r.path.startsWith('/queue/'))).toHaveLength(0);
  });

  it('without sync_mode returns URLs fal serves', async () => {
    const { server, fal } = await falHarness();
    const { output } = await fal.run(FAL_KONTEXT_PRO_TEXT, { prompt: 'a red bicycle', aspect_ratio: '16:9' });
    expect(output.images[0]!.url.startsWith(`${server.url}/files/`)).toBe(true);
    expect(output.images[0]).toMatchObject({ width: 85, height: 48, content_type: 'image/jpeg' });
    expect(typeof output.seed).toBe('number');
  });

  it('validates before sending', async () => {
    const { server, fal } = await falHarness();
    await expect(fal.run(FAL_KONTEXT_PRO, { prompt: 'x', image_url: 'data:,', num_images: 7 })).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });

  it("surfaces fal's 422 detail", async () => {
    const { server, fal } = await falHarness();
    const error = await fal.run(FAL_KONTEXT_PRO, { prompt: 'x', image_url: `${server.url}/files/missing.png` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 422, requestId: server.submissions[0]!.requestId });
    expect((error as Error).message).toContain('image_url');
  });
});
