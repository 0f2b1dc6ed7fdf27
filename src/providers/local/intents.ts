/**
 * What the simulator understands of a prompt: a few visible edits found by keywords. This is
 * deliberately simple — it exists so that turns in a chat look different from each other,
 * not to imitate the model.
 */

export const TINT_COLOURS = {
  red: [224, 32, 32],
  orange: [240, 128, 32],
  yellow: [240, 208, 32],
  gold: [212, 175, 55],
  green: [32, 176, 64],
  cyan: [32, 192, 192],
  blue: [32, 80, 224],
  purple: [128, 48, 192],
  magenta: [208, 32, 208],
  pink: [240, 96, 176],
  brown: [139, 90, 43],
  sepia: [160, 120, 74],
} as const satisfies Record<string, readonly [number, number, number]>;

export type TintColour = keyof typeof TINT_COLOURS;

export type Intent =
  | { kind: 'tint'; colour: TintColour }
  | { kind: 'night' }
  | { kind: 'day' }
  | { kind: 'sketch' }
  | { kind: 'winter' }
  | { kind: 'blur' }
  | { kind: 'sharpen' }
  | { kind: 'flip'; axis: 'horizontal' | 'vertical' }
  | { kind: 'rotate'; degrees: 90 | 180 | 270 }
  | { kind: 'text'; text: string };

export type IntentKind = Intent['kind'];

/** Longest text drawn for an "add text" edit; a longer quote is cut with an ellipsis. */
export const MAX_TEXT_LENGTH = 80;

const COLOUR_WORDS: Record<TintColour, readonly string[]> = {
  red: ['red', 'reddish', 'crimson', 'scarlet'],
  orange: ['orange', 'amber'],
  yellow: ['yellow', 'yellowish'],
  gold: ['gold', 'golden'],
  green: ['green', 'greenish', 'emerald'],
  cyan: ['cyan', 'teal', 'turquoise'],
  blue: ['blue', 'bluish', 'navy', 'azure'],
  purple: ['purple', 'violet', 'lavender'],
  magenta: ['magenta', 'fuchsia'],
  pink: ['pink', 'pinkish'],
  brown: ['brown'],
  sepia: ['sepia'],
};
const COLOURS = Object.fromEntries(
  Object.entries(COLOUR_WORDS).map(([colour, words]) => [colour, new RegExp(`\\b(?:${words.join('|')})\\b`, 'g')]),
) as Record<TintColour, RegExp>;

const NIGHT = /\b(?:night|nighttime|night-time|midnight|dark|darker|darken|darkened|moonlit|moonlight|dusk|evening)\b/g;
const DAY = /\b(?:day|daytime|day-time|daylight|bright|brighter|brighten|brightened|sunny|sunlit|sunshine|noon|midday|lighter|lighten)\b/g;
const BLUR = /\b(?:blur|blurs|blurry|blurred|blurrier|soften|softer|defocus|defocused|bokeh|hazy)\b|\bout of focus\b/g;
const SHARPEN = /\b(?:sharpen|sharpened|sharper|crisp|crisper)\b|\bmore detail(?:ed)?\b|\benhance (?:the )?details?\b/g;
const SKETCH = /\b(?:sketch|sketched|pencil|graphite|charcoal|drawing|lineart|greyscale|grayscale|monochrome)\b|\bline art\b|\bblack[- ](?:and|&)[- ]white\b|\bb&w\b|\bb\/w\b/;
const WINTER = /\b(?:winter|wintry|wintery|snow|snowy|snowing|snowfall|snowflakes?|blizzard|frost|frosty|icy)\b/;
const FLIP = /\b(?:flip|flipped|flips|mirror|mirrored)\b/;
const VERTICAL = /\b(?:vertical|vertically|upside[- ]down|top to bottom)\b/;
const ROTATE = /\b(?:rotate|rotated|rotates|rotating|rotation)\b/;
const UPSIDE_DOWN = /\bupside[- ]down\b/;
const COUNTERCLOCKWISE = /\b(?:left|counterclockwise|counter-clockwise|anticlockwise|anti-clockwise|ccw)\b/;
/** Words that say a quoted string is text to draw ("add text 'X'", "a sign that says 'X'"). */
const TEXT_WORDS = /\b(?:text|texts|word|words|caption|captioned|say|says|saying|read|reads|sign|label|title|write|writes|written|writing|lettering|slogan|poster|banner|headline)\b/;
const ADD_WORDS = /\b(?:add|put|write|print|stamp)\s*$/;
/**
 * Quoted strings. A single quote only opens after a non-letter so that apostrophes ("it's")
 * are not taken for quotes.
 */
const QUOTED = /"([^"]+)"|“([^”]+)”|«([^»]+)»|‘([^’]+)’|(?<![\p{L}\p{N}])'([^']+)'(?![\p{L}\p{N}])/gu;

/**
 * The edits a prompt asks for, in the order they are first mentioned. Pure.
 *
 * - colour words tint (the last one named wins: "change the red car to blue" → blue);
 * - night/dark and day/bright contradict each other: the last one named wins; so do blur and sharpen;
 * - sketch/pencil/black and white, winter/snow, flip (mirror; "vertically"/"upside down" for
 *   the other axis), rotate (90° clockwise unless a number or "left"/"counterclockwise" says
 *   otherwise; "upside down" alone is 180°);
 * - a quoted string is text to draw when the prompt speaks of text ("add text 'X'",
 *   `text "X"`, "a sign saying 'X'"); the last quote wins ("change 'SALE' to 'SOLD OUT'").
 *   Quoted words never trigger other edits ("add text 'snow day'" does not add snow).
 *
 * An empty list means nothing was recognised; the renderer then makes a small seeded change
 * and captions the prompt instead.
 *
 * @example
 * parseIntents("make it night and add text 'Hello'");
 * // [{ kind: 'night' }, { kind: 'text', text: 'Hello' }]
 */
export function parseIntents(prompt: string): Intent[] {
  const found: { at: number; intent: Intent }[] = [];
  const add = (at: number, intent: Intent) => {
    if (at >= 0) found.push({ at, intent });
  };
  const quotes = [...prompt.matchAll(QUOTED)];
  // Keywords are looked for in the prompt with its quoted strings blanked out (same length,
  // so positions still line up with the original for ordering).
  const plain = blankQuotes(prompt, quotes).toLowerCase();

  const lastQuote = quotes.at(-1);
  if (lastQuote) {
    const text = normaliseText(lastQuote.slice(1).find((group) => group !== undefined) ?? '');
    if (text && (TEXT_WORDS.test(plain) || ADD_WORDS.test(plain.slice(0, lastQuote.index)))) add(lastQuote.index, { kind: 'text', text });
  }

  const colour = lastNamed(plain, COLOURS);
  if (colour) add(colour.at, { kind: 'tint', colour: colour.kind });
  const light = lastNamed(plain, { night: NIGHT, day: DAY });
  if (light) add(light.at, { kind: light.kind });
  const focus = lastNamed(plain, { blur: BLUR, sharpen: SHARPEN });
  if (focus) add(focus.at, { kind: focus.kind });
  add(plain.search(SKETCH), { kind: 'sketch' });
  add(plain.search(WINTER), { kind: 'winter' });

  const flip = plain.search(FLIP);
  add(flip, { kind: 'flip', axis: VERTICAL.test(plain) ? 'vertical' : 'horizontal' });
  const rotate = plain.search(ROTATE);
  if (rotate >= 0) add(rotate, { kind: 'rotate', degrees: rotationOf(plain.slice(rotate)) });
  // "turn it upside down" is a half turn; with "flip" it is the vertical mirror instead.
  else if (flip < 0) add(plain.search(UPSIDE_DOWN), { kind: 'rotate', degrees: 180 });

  return found.sort((a, b) => a.at - b.at).map((f) => f.intent);
}

/** How an intent is named in progress logs: `night`, `tint red`, `rotate 90°`, `text "Hi"`. */
export function describeIntent(intent: Intent): string {
  switch (intent.kind) {
    case 'tint':
      return `tint ${intent.colour}`;
    case 'flip':
      return `flip ${intent.axis}`;
    case 'rotate':
      return `rotate ${intent.degrees}°`;
    case 'text':
      return `text ${JSON.stringify(intent.text)}`;
    default:
      return intent.kind;
  }
}

/**
 * Of rival words (each pattern global), the kind named last — an instruction usually names
 * the target after what it replaces — placed where the first of them was named.
 */
function lastNamed<K extends string>(text: string, rivals: Record<K, RegExp>): { kind: K; at: number } | undefined {
  let winner: { kind: K; last: number } | undefined;
  let first = Infinity;
  for (const [kind, pattern] of Object.entries(rivals) as [K, RegExp][]) {
    for (const match of text.matchAll(pattern)) {
      first = Math.min(first, match.index);
      if (!winner || match.index > winner.last) winner = { kind, last: match.index };
    }
  }
  return winner && { kind: winner.kind, at: first };
}

function blankQuotes(prompt: string, quotes: readonly RegExpMatchArray[]): string {
  let out = prompt;
  for (const q of quotes) {
    const start = q.index ?? 0;
    out = out.slice(0, start) + ' '.repeat(q[0].length) + out.slice(start + q[0].length);
  }
  return out;
}

/** Clockwise quarter turns from the words just after "rotate": a number of degrees, or a direction. */
function rotationOf(after: string): 90 | 180 | 270 {
  const window = after.slice(0, 40);
  if (UPSIDE_DOWN.test(window)) return 180;
  const number = /(-?\d{1,4})/.exec(window);
  let degrees = number ? Number(number[1]) : 90;
  if (COUNTERCLOCKWISE.test(window)) degrees = -degrees;
  const quarter = (((Math.round(degrees / 90) % 4) + 4) % 4) as 0 | 1 | 2 | 3;
  // "rotate 0°" or "rotate 360°" asks for a rotation that changes nothing visible; a quarter
  // turn shows that the word was understood.
  return ([90, 90, 180, 270] as const)[quarter];
}

function normaliseText(quoted: string): string {
  const text = quoted.replace(/\s+/g, ' ').trim();
  return text.length > MAX_TEXT_LENGTH ? `${text.slice(0, MAX_TEXT_LENGTH - 1)}…` : text;
}
