import { describe, expect, it } from 'vitest';
import { describeIntent, parseIntents, type Intent } from '../../../src/providers/local/index.js';

describe('parseIntents', () => {
  it.each<[string, Intent[]]>([
    ['make it red', [{ kind: 'tint', colour: 'red' }]],
    ['Change the car color to red', [{ kind: 'tint', colour: 'red' }]],
    ['change the red car to blue', [{ kind: 'tint', colour: 'blue' }]],
    ['make it night', [{ kind: 'night' }]],
    ['darken it', [{ kind: 'night' }]],
    ['Change to daytime while maintaining the same style of the painting', [{ kind: 'day' }]],
    ['turn night into day', [{ kind: 'day' }]],
    ['make it bright', [{ kind: 'day' }]],
    ['Convert to pencil sketch with natural graphite lines', [{ kind: 'sketch' }]],
    ['black and white please', [{ kind: 'sketch' }]],
    ['a snowy winter scene', [{ kind: 'winter' }]],
    ['blur the background', [{ kind: 'blur' }]],
    ['sharpen', [{ kind: 'sharpen' }]],
    ['flip it', [{ kind: 'flip', axis: 'horizontal' }]],
    ['mirror the image vertically', [{ kind: 'flip', axis: 'vertical' }]],
    ['rotate', [{ kind: 'rotate', degrees: 90 }]],
    ['rotate 180 degrees', [{ kind: 'rotate', degrees: 180 }]],
    ['rotate it left', [{ kind: 'rotate', degrees: 270 }]],
    ['rotate 90° counterclockwise', [{ kind: 'rotate', degrees: 270 }]],
    ['turn it upside down', [{ kind: 'rotate', degrees: 180 }]],
    ["add text 'Hello'", [{ kind: 'text', text: 'Hello' }]],
    ['text "SALE"', [{ kind: 'text', text: 'SALE' }]],
    ["Change 'SALE' to 'SOLD OUT' on the storefront sign", [{ kind: 'text', text: 'SOLD OUT' }]],
    ['add “Hello” to the wall', [{ kind: 'text', text: 'Hello' }]],
    ['Put a donut next to the flour.', []],
  ])('%s', (prompt, intents) => {
    expect(parseIntents(prompt)).toEqual(intents);
  });

  it('finds several edits, in the order they are named', () => {
    expect(parseIntents("make it purple at night, blur it and add text 'Hi'")).toEqual([
      { kind: 'tint', colour: 'purple' },
      { kind: 'night' },
      { kind: 'blur' },
      { kind: 'text', text: 'Hi' },
    ]);
  });

  it('does not obey words inside the quoted text', () => {
    expect(parseIntents("add text 'snow day in red'")).toEqual([{ kind: 'text', text: 'snow day in red' }]);
  });

  it('takes an apostrophe for an apostrophe, not a quote', () => {
    expect(parseIntents("it's night, let's make it blue")).toEqual([{ kind: 'night' }, { kind: 'tint', colour: 'blue' }]);
  });

  it('does not match words inside other words', () => {
    expect(parseIntents('today the reddit crowd is flipping through a bookshelf')).toEqual([]);
  });

  it('cuts a very long text', () => {
    const [intent] = parseIntents(`add text '${'x'.repeat(200)}'`);
    expect(intent).toMatchObject({ kind: 'text' });
    expect((intent as { text: string }).text).toHaveLength(80);
  });

  it('names intents for the progress log', () => {
    expect(parseIntents("make it night, red, rotate and add text 'A'").map(describeIntent)).toEqual(['night', 'tint red', 'rotate 90°', 'text "A"']);
  });
});
