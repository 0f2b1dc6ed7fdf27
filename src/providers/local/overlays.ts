import { between, type Prng } from './prng.js';
import type { Size } from './size.js';

/**
 * Things drawn on top of a simulated image, as small SVGs for sharp's `composite`: the
 * "SIMULATED" label, text a prompt asks for, a caption of the prompt, snowflakes. Each SVG
 * is only as large as what it draws: rasterising a full-size SVG costs as much as the edit.
 */

/** One input of sharp's `composite`. */
export interface Overlay {
  input: Buffer;
  left: number;
  top: number;
}

/** Fonts installed nearly everywhere; librsvg takes the first it finds. */
const FONT = 'DejaVu Sans, Verdana, Arial, Helvetica, sans-serif';
/** Average advance of a character in `FONT`, in ems (an estimate: we cannot measure text here). */
const EM_PER_CHAR = 0.62;
const EM_PER_CHAR_BOLD = 0.7;

/**
 * Makes text safe inside an SVG text node or attribute: the five XML specials become
 * entities, and characters XML 1.0 forbids (control characters, lone surrogates) become
 * U+FFFD — librsvg refuses the whole SVG otherwise.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * The corner label every simulated image carries (top right), so that it can never be taken
 * for a Kontext image, even after it has been saved and the metadata lost.
 */
export function labelOverlay(text: string, image: Size): Overlay {
  const font = clamp(Math.round(Math.min(image.width, image.height) * 0.018), 9, 18);
  const pad = Math.round(font * 0.5);
  const width = Math.min(image.width, Math.ceil(charCount(text) * font * EM_PER_CHAR + 2 * pad));
  const height = Math.min(image.height, Math.round(font * 1.7));
  const left = Math.max(0, image.width - width - pad);
  const top = Math.min(pad, image.height - height);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" rx="${Math.round(font * 0.3)}" fill="#000" fill-opacity="0.62"/>` +
    `<text x="${width - pad}" y="${fixed(height / 2 + font * 0.36)}" font-family="${FONT}" font-size="${font}" text-anchor="end" fill="#fff">${escapeXml(text)}</text>` +
    `</svg>`;
  return { input: Buffer.from(svg), left, top };
}

/** Text an edit asks for ("add text 'X'"): large, white with a dark outline, across the middle. */
export function textOverlay(text: string, image: Size): Overlay {
  const length = Math.max(1, charCount(text));
  const font = Math.max(8, Math.min(image.width * 0.11, image.height * 0.25, (image.width * 0.9) / (length * EM_PER_CHAR_BOLD)));
  const height = Math.min(image.height, Math.ceil(font * 1.5));
  const top = Math.round((image.height - height) / 2);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${height}">` +
    `<text x="${fixed(image.width / 2)}" y="${fixed(height / 2 + font * 0.36)}" font-family="${FONT}" font-size="${fixed(font)}" font-weight="bold" text-anchor="middle" ` +
    `fill="#fff" stroke="#000" stroke-width="${fixed(Math.max(1, font * 0.07))}" stroke-linejoin="round" paint-order="stroke">${escapeXml(text)}</text>` +
    `</svg>`;
  return { input: Buffer.from(svg), left: 0, top };
}

/** The prompt in a dark band along the bottom, cut with an ellipsis where it would not fit. */
export function captionOverlay(text: string, image: Size): Overlay {
  const font = clamp(Math.round(image.height * 0.032), 9, 26);
  const pad = Math.round(font * 0.6);
  const height = Math.min(image.height, Math.round(font * 2));
  const fits = Math.max(4, Math.floor((image.width - 2 * pad) / (font * EM_PER_CHAR)));
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  const shown = chars.length > fits ? `${chars.slice(0, fits - 1).join('')}…` : chars.join('');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${height}">` +
    `<rect width="${image.width}" height="${height}" fill="#000" fill-opacity="0.55"/>` +
    `<text x="${pad}" y="${fixed(height / 2 + font * 0.36)}" font-family="${FONT}" font-size="${font}" fill="#fff">${escapeXml(shown)}</text>` +
    `</svg>`;
  return { input: Buffer.from(svg), left: 0, top: image.height - height };
}

/**
 * Snowflakes at seeded places: about one per 2 500 px² (≈420 on a 1024² image), most of them
 * opaque white so they read as snow and not as noise.
 */
export function snowOverlay(image: Size, next: Prng, strength: number): Overlay {
  const count = clamp(Math.round(((image.width * image.height) / 2500) * strength), 12, 1200);
  const long = Math.max(image.width, image.height);
  let flakes = '';
  for (let i = 0; i < count; i++) {
    const x = fixed(next() * image.width);
    const y = fixed(next() * image.height);
    const r = fixed(Math.max(1.5, long * between(next, 0.003, 0.009)));
    const opacity = next() < 0.6 ? 1 : between(next, 0.7, 1);
    flakes += `<circle cx="${x}" cy="${y}" r="${r}" fill="#fff"${opacity < 1 ? ` fill-opacity="${fixed(opacity)}"` : ''}/>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${flakes}</svg>`;
  return { input: Buffer.from(svg), left: 0, top: 0 };
}

function charCount(text: string): number {
  return Array.from(text).length;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Two decimals keep the SVG short and its bytes stable. */
function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}
