import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/ValidationError.js';
import { ASPECT_RATIOS, FAL_KONTEXT_PRO, FAL_KONTEXT_PRO_TEXT, LOCAL_KONTEXT_SIM, MAX_PROMPT_LENGTH, MAX_SEED } from '../../../src/kontext/index.js';
import { falHarness, pngBytes } from '../../support/falFixtures.js';
import { toDataUri } from '../../../src/util/dataUri.js';

async function baseInput() {
  return { prompt: 'put a donut next to the flour', image_url: toDataUri(await pngBytes(), 'image/png') };
}

async function refusal(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('input is validated before anything is sent', () => {
  const refused: [string, Record<string, unknown>, string][] = [
    ['guidance_scale below 1', { guidance_scale: 0.99 }, 'guidance_scale'],
    ['guidance_scale above 20', { guidance_scale: 20.01 }, 'guidance_scale'],
    ['guidance_scale as a string', { guidance_scale: '3.5' }, 'guidance_scale'],
    ['num_images 0', { num_images: 0 }, 'num_images'],
    ['num_images 5', { num_images: 5 }, 'num_images'],
    ['num_images 2.5', { num_images: 2.5 }, 'num_images'],
    ['seed -1', { seed: -1 }, 'seed'],
    ['seed above 2^32-1', { seed: MAX_SEED + 1 }, 'seed'],
    ['seed 1.5', { seed: 1.5 }, 'seed'],
    ['output_format webp', { output_format: 'webp' }, 'output_format'],
    ['safety_tolerance as the number 2', { safety_tolerance: 2 }, 'safety_tolerance'],
    ['safety_tolerance "7"', { safety_tolerance: '7' }, 'safety_tolerance'],
    ['safety_tolerance "0"', { safety_tolerance: '0' }, 'safety_tolerance'],
    ['aspect_ratio 5:4', { aspect_ratio: '5:4' }, 'aspect_ratio'],
    ['an empty prompt', { prompt: '' }, 'prompt'],
    ['a blank prompt', { prompt: '   ' }, 'prompt'],
    ['a prompt over the limit', { prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) }, 'prompt'],
    ['an empty image_url', { image_url: '' }, 'image_url'],
    ['sync_mode as a string', { sync_mode: 'yes' }, 'sync_mode'],
    ['enhance_prompt as a number', { enhance_prompt: 1 }, 'enhance_prompt'],
    ['an unknown field', { strength: 0.5 }, 'strength'],
  ];

  it.each(refused)('refuses %s, naming the field', async (_name, override, field) => {
    const { server, fal } = await falHarness();
    const error = await refusal(fal.submit(FAL_KONTEXT_PRO, { ...(await baseInput()), ...override }));
    expect(error.issues.map((issue) => issue.field)).toEqual([field]);
    expect(error.message).toContain(field);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a missing image_url on an edit endpoint', async () => {
    const { server, fal } = await falHarness();
    const error = await refusal(fal.submit(FAL_KONTEXT_PRO, { prompt: 'hello' }));
    expect(error.issues).toEqual([{ field: 'image_url', message: expect.stringContaining('required') }]);
    expect(server.requests).toHaveLength(0);
  });

  it('lists every problem at once', async () => {
    const { server, fal } = await falHarness();
    const error = await refusal(fal.submit(FAL_KONTEXT_PRO, { ...(await baseInput()), guidance_scale: 25, num_images: 9, safety_tolerance: 2 }));
    expect(error.issues.map((issue) => issue.field).sort()).toEqual(['guidance_scale', 'num_images', 'safety_tolerance']);
    expect(error.message).toMatch(/guidance_scale: 25 is above the maximum 20/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses unknown endpoints and endpoints of another provider', async () => {
    const { server, fal } = await falHarness();
    await refusal(fal.submit('fal-ai/flux-pro/kontext/ultra', await baseInput()));
    const local = await refusal(fal.submit(LOCAL_KONTEXT_SIM, await baseInput()));
    expect(local.message).toContain('not fal');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses image_url on a text-to-image endpoint', async () => {
    const { server, fal } = await falHarness();
    const error = await refusal(fal.submit(FAL_KONTEXT_PRO_TEXT, await baseInput()));
    expect(error.issues.map((issue) => issue.field)).toEqual(['image_url']);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts every edge value and sends the input with defaults applied', async () => {
    const { server, fal } = await falHarness();
    const base = await baseInput();
    const edges: Record<string, unknown>[] = [
      { guidance_scale: 1, num_images: 1, seed: 0, safety_tolerance: '1' },
      { guidance_scale: 20, num_images: 4, seed: MAX_SEED, safety_tolerance: '6', output_format: 'png', sync_mode: true, enhance_prompt: true },
      ...ASPECT_RATIOS.map((aspect_ratio) => ({ aspect_ratio })),
      { prompt: 'x'.repeat(MAX_PROMPT_LENGTH) },
    ];
    for (const edge of edges) await fal.submit(FAL_KONTEXT_PRO, { ...base, ...edge });
    expect(server.submissions).toHaveLength(edges.length);
    expect(server.submissions[0]!.body).toEqual({
      ...base,
      guidance_scale: 1,
      num_images: 1,
      seed: 0,
      safety_tolerance: '1',
      sync_mode: false,
      output_format: 'jpeg',
      enhance_prompt: false,
    });
  });
});
