/**
 * Seeded randomness for the simulator. Everything random in a local render comes from
 * here, never from `Math.random`, so the same request gives byte-identical images.
 */

/** A source of numbers in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32: a 32-bit generator of one integer state. Integer arithmetic only, so it gives
 * the same sequence on every platform and Node version.
 *
 * @example
 * const next = mulberry32(42);
 * next(); // 0.6011037519201636, every time
 */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a over the UTF-16 code units: a stable 32-bit fingerprint of a string. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * One 32-bit seed from a seed and the strings that should also steer the result (the prompt),
 * so two prompts with the same seed still differ.
 */
export function mixSeed(seed: number, ...parts: readonly string[]): number {
  let mixed = seed >>> 0;
  for (const part of parts) mixed = (Math.imul(mixed ^ hashString(part), 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  return mixed;
}

/** A number in [min, max) from `next`. */
export function between(next: Prng, min: number, max: number): number {
  return min + (max - min) * next();
}
