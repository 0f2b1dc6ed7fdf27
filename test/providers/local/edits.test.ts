import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createLocalProvider, TINT_COLOURS, type TintColour } from '../../../src/providers/local/index.js';
import { toDataUri } from '../../../src/util/dataUri.js';
import { EDIT, edgeEnergy, meanColour, meanDifference, pixels, runJob, sceneImage, solidImage, whitePixels, type Region } from './fixtures.js';

/** One edit of the test scene (320×240 PNG), as PNG so that no JPEG noise muddies the measures. */
async function edit(prompt: string, extra: Record<string, unknown> = {}, source?: Buffer) {
  const input = source ?? (await sceneImage());
  const { images, output } = await runJob(createLocalProvider(), EDIT, { prompt, image_url: toDataUri(input, 'image/png'), seed: 1, output_format: 'png', ...extra });
  return { input, image: images[0]!, output };
}

/** Below the corner label and above a caption: where only the edit itself changes pixels. */
const BODY: Region = { left: 0, top: 30, width: 320, height: 180 };

function chromaDistance(colour: { r: number; g: number; b: number }, target: readonly [number, number, number]): number {
  const sum = colour.r + colour.g + colour.b;
  const targetSum = target[0] + target[1] + target[2];
  return Math.hypot(colour.r / sum - target[0] / targetSum, colour.g / sum - target[1] / targetSum, colour.b / sum - target[2] / targetSum);
}

describe('colour words', () => {
  it('"make it red" raises red against green and blue', async () => {
    const { input, image } = await edit('make it red');
    const before = await meanColour(input, BODY);
    const after = await meanColour(image, BODY);
    expect(after.r / ((after.g + after.b) / 2)).toBeGreaterThan((before.r / ((before.g + before.b) / 2)) * 1.4);
  });

  it.each(['blue', 'green', 'yellow', 'purple', 'orange', 'pink'] satisfies TintColour[])('"make it %s" moves the mean colour towards that colour', async (colour) => {
    const { input, image } = await edit(`make it ${colour}`);
    const target = TINT_COLOURS[colour];
    const before = chromaDistance(await meanColour(input, BODY), target);
    const after = chromaDistance(await meanColour(image, BODY), target);
    expect(after).toBeLessThan(before * 0.7);
  });

  it('the colour named last wins ("change the red roof to blue")', async () => {
    const { input, image } = await edit('change the red roof to blue');
    const before = await meanColour(input, BODY);
    const after = await meanColour(image, BODY);
    expect(after.blueShare).toBeGreaterThan(before.blueShare + 0.05);
  });
});

describe('light', () => {
  it('night darkens and cools', async () => {
    const { input, image } = await edit('make it night');
    const before = await meanColour(input, BODY);
    const after = await meanColour(image, BODY);
    expect(after.brightness).toBeLessThan(before.brightness * 0.75);
    expect(after.blueShare).toBeGreaterThan(before.blueShare + 0.03);
  });

  it('"dark" darkens too', async () => {
    const { input, image } = await edit('make it darker');
    expect((await meanColour(image, BODY)).brightness).toBeLessThan((await meanColour(input, BODY)).brightness * 0.75);
  });

  it('day / bright lifts the light', async () => {
    for (const prompt of ['change to daytime', 'make it brighter']) {
      const { input, image } = await edit(prompt);
      expect((await meanColour(image, BODY)).brightness).toBeGreaterThan((await meanColour(input, BODY)).brightness * 1.1);
    }
  });

  it('"turn night into day" brightens: the later word wins', async () => {
    const { input, image } = await edit('turn night into day');
    expect((await meanColour(image, BODY)).brightness).toBeGreaterThan((await meanColour(input, BODY)).brightness);
  });
});

describe('styles', () => {
  it('sketch makes every pixel grey, the label included', async () => {
    for (const prompt of ['pencil sketch', 'black and white']) {
      const { image } = await edit(prompt);
      const { data } = await pixels(image);
      let worst = 0;
      for (let i = 0; i < data.length; i += 3) worst = Math.max(worst, Math.abs(data[i]! - data[i + 1]!), Math.abs(data[i + 1]! - data[i + 2]!));
      expect(worst, prompt).toBeLessThanOrEqual(1);
    }
  });

  it('sketch draws dark lines along edges on light paper', async () => {
    const { image } = await edit('pencil sketch');
    const p = await pixels(image);
    const grey = (x: number, y: number) => p.at(x, y)[0];
    // The house wall's left edge is at x = 40 on row 130; its inside and the sky beside it are flat.
    const line = Math.min(...[38, 39, 40, 41, 42].map((x) => grey(x, 130)));
    expect(line).toBeLessThan(grey(20, 130) - 40);
    expect(line).toBeLessThan(grey(70, 130) - 40);
    expect(grey(20, 130)).toBeGreaterThan(170);
  });

  it('winter cools and adds white flakes', async () => {
    const { input, image } = await edit('make it winter with snow');
    const { image: control } = await edit('make it brighter');
    expect((await meanColour(image, BODY)).blueShare).toBeGreaterThan((await meanColour(input, BODY)).blueShare + 0.02);
    const flakes = await whitePixels(image);
    expect(flakes).toBeGreaterThan(150);
    // The label's white letters alone are far fewer.
    expect(flakes).toBeGreaterThan((await whitePixels(control)) * 3);
  });

  it('snowflakes are placed by the seed', async () => {
    const one = await edit('snow', { seed: 1 });
    const two = await edit('snow', { seed: 2 });
    expect(await meanDifference(one.image, two.image, BODY)).toBeGreaterThan(2);
  });
});

describe('focus', () => {
  it('blur lowers edge energy', async () => {
    const { input, image } = await edit('blur it');
    expect(await edgeEnergy(image, BODY)).toBeLessThan((await edgeEnergy(input, BODY)) * 0.6);
  });

  it('sharpen raises edge energy', async () => {
    const soft = await sharp(await sceneImage()).blur(1.5).png().toBuffer();
    const { image } = await edit('sharpen', {}, soft);
    expect(await edgeEnergy(image, BODY)).toBeGreaterThan((await edgeEnergy(soft, BODY)) * 1.3);
  });
});

describe('geometry', () => {
  it('flip mirrors left and right', async () => {
    const { input, image } = await edit('flip it');
    const mirrored = await sharp(input).flop().png().toBuffer();
    expect(await meanDifference(image, mirrored, BODY)).toBeLessThan(8);
    expect(await meanDifference(image, input, BODY)).toBeGreaterThan(25);
  });

  it('"flip vertically" mirrors top and bottom', async () => {
    const { input, image } = await edit('flip vertically');
    const mirrored = await sharp(input).flip().png().toBuffer();
    expect(await meanDifference(image, mirrored, BODY)).toBeLessThan(8);
  });

  it('rotate turns a quarter clockwise: a landscape becomes a portrait', async () => {
    const { input, image, output } = await edit('rotate it');
    expect([output.images[0]!.width, output.images[0]!.height]).toEqual([240, 320]);
    const turned = await sharp(input).rotate(90).png().toBuffer();
    const region: Region = { left: 0, top: 30, width: 240, height: 280 };
    expect(await meanDifference(image, turned, region)).toBeLessThan(8);
  });

  it('"rotate 90 degrees counterclockwise" turns the other way', async () => {
    const { input, image } = await edit('rotate 90 degrees counterclockwise');
    const turned = await sharp(input).rotate(270).png().toBuffer();
    expect(await meanDifference(image, turned, { left: 0, top: 30, width: 240, height: 280 })).toBeLessThan(8);
  });
});

describe('text', () => {
  /** The band across the middle where the text goes, and a corner nothing draws on. */
  const MIDDLE: Region = { left: 60, top: 100, width: 200, height: 40 };
  const CORNER: Region = { left: 0, top: 180, width: 100, height: 40 };

  it("add text 'X' draws it across the middle and leaves the rest alone", async () => {
    const { input, image } = await edit("add text 'HELLO'");
    expect(await meanDifference(image, input, MIDDLE)).toBeGreaterThan(20);
    expect(await meanDifference(image, input, CORNER)).toBeLessThan(6);
  });

  it('text "X" with XML specials is drawn, not interpreted', async () => {
    const { input, image } = await edit('text "Tom & <Jerry>"');
    expect(await meanDifference(image, input, MIDDLE)).toBeGreaterThan(20);
  });

  it('the quoted words are drawn, not obeyed', async () => {
    const { input, image } = await edit("add text 'snow at night'");
    // No night: the untouched corner keeps its light; no snow: no flakes there either.
    expect(await meanDifference(image, input, CORNER)).toBeLessThan(6);
  });
});

describe('anything else', () => {
  it('makes a seeded change and captions the prompt along the bottom', async () => {
    const { input, image } = await edit('put a donut next to the flour');
    const bottom: Region = { left: 0, top: 225, width: 320, height: 15 };
    expect(await meanDifference(image, input, bottom)).toBeGreaterThan(30);
    expect(await meanDifference(image, input, BODY)).toBeGreaterThan(3);
  });

  it('two intents in one prompt both apply', async () => {
    const { input, image } = await edit('make it red at night');
    const before = await meanColour(input, BODY);
    const after = await meanColour(image, BODY);
    expect(after.brightness).toBeLessThan(before.brightness * 0.8);
    expect(after.r / ((after.g + after.b) / 2)).toBeGreaterThan(before.r / ((before.g + before.b) / 2));
  });
});

describe('the label', () => {
  it('every output is marked SIMULATED in its top-right corner and in its metadata', async () => {
    const white = await solidImage(400, 300, { r: 250, g: 250, b: 250 });
    const { image, output } = await edit('make it brighter', {}, white);
    const corner = await meanColour(image, { left: 300, top: 6, width: 90, height: 10 });
    const elsewhere = await meanColour(image, { left: 20, top: 100, width: 300, height: 150 });
    expect(corner.brightness).toBeLessThan(160);
    expect(elsewhere.brightness).toBeGreaterThan(240);
    const exif = (await sharp(image).metadata()).exif?.toString('latin1') ?? '';
    expect(exif).toContain('SIMULATED');
    expect(output).toMatchObject({ simulated: true, provider: 'local' });
  });
});
