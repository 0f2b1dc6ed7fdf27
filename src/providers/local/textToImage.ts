import { hashString, mixSeed, mulberry32, between, type Prng } from './prng.js';
import type { Size } from './size.js';

/**
 * The picture a text-to-image request starts from: a gradient sky, a ground band and a few
 * shapes, all drawn from the prompt and the seed. It is an SVG that the edit pipeline then
 * treats like any input (so "a red house at night" is tinted red and darkened, and captioned).
 * Another prompt gives another palette; another seed, another arrangement.
 *
 * @example
 * const svg = sceneSvg('a lighthouse at dusk', 42, { width: 1024, height: 576 });
 */
export function sceneSvg(prompt: string, seed: number, size: Size): Buffer {
  const next = mulberry32(mixSeed(seed, 'scene', prompt));
  const { width: w, height: h } = size;
  const hue = (hashString(prompt.trim().toLowerCase()) % 360) + between(next, -20, 20);
  const angle = between(next, 0, 360);
  const horizon = h * between(next, 0.55, 0.75);

  let shapes = '';
  const count = 4 + Math.floor(next() * 5);
  for (let i = 0; i < count; i++) shapes += shape(next, hue, w, horizon);

  const sun = { x: between(next, 0.15, 0.85) * w, y: between(next, 0.12, 0.35) * h, r: between(next, 0.06, 0.11) * Math.min(w, h) };
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<defs><linearGradient id="sky" gradientTransform="rotate(${fixed(angle)} 0.5 0.5)">` +
    `<stop offset="0" stop-color="${hsl(hue, 0.55, 0.68)}"/><stop offset="1" stop-color="${hsl(hue + between(next, 40, 110), 0.5, 0.32)}"/>` +
    `</linearGradient></defs>` +
    `<rect width="${w}" height="${h}" fill="url(#sky)"/>` +
    `<circle cx="${fixed(sun.x)}" cy="${fixed(sun.y)}" r="${fixed(sun.r)}" fill="${hsl(hue + 180, 0.7, 0.75)}" fill-opacity="0.9"/>` +
    `<rect y="${fixed(horizon)}" width="${w}" height="${fixed(h - horizon)}" fill="${hsl(hue + 150, 0.35, 0.28)}"/>` +
    shapes +
    `</svg>`;
  return Buffer.from(svg);
}

/** A circle, a rounded block or a triangle standing on the horizon or floating above it. */
function shape(next: Prng, hue: number, w: number, horizon: number): string {
  const colour = hsl(hue + between(next, -90, 90), between(next, 0.4, 0.8), between(next, 0.35, 0.7));
  const opacity = fixed(between(next, 0.6, 0.95));
  const x = next() * w;
  const size = between(next, 0.06, 0.2) * w;
  const kind = Math.floor(next() * 3);
  if (kind === 0) {
    const y = between(next, 0.2, 1) * horizon;
    return `<circle cx="${fixed(x)}" cy="${fixed(y)}" r="${fixed(size / 2)}" fill="${colour}" fill-opacity="${opacity}"/>`;
  }
  if (kind === 1) {
    const height = size * between(next, 0.6, 1.8);
    return `<rect x="${fixed(x - size / 2)}" y="${fixed(horizon - height)}" width="${fixed(size)}" height="${fixed(height)}" rx="${fixed(size * 0.1)}" fill="${colour}" fill-opacity="${opacity}"/>`;
  }
  const top = horizon - size * between(next, 0.8, 1.6);
  return `<polygon points="${fixed(x - size / 2)},${fixed(horizon)} ${fixed(x + size / 2)},${fixed(horizon)} ${fixed(x)},${fixed(top)}" fill="${colour}" fill-opacity="${opacity}"/>`;
}

/** `#rrggbb` of a hue in degrees and saturation/lightness in 0..1 (librsvg's hsl() support varies). */
function hsl(hue: number, saturation: number, lightness: number): string {
  const h = (((hue % 360) + 360) % 360) / 60;
  const c = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = lightness - c / 2;
  return `#${[r, g, b].map((v) => Math.round((v + m) * 255).toString(16).padStart(2, '0')).join('')}`;
}

function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}
