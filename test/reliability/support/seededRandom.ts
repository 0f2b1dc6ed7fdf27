import { mulberry32 } from '../../../src/providers/local/prng.js';

/**
 * The simulator's mulberry32, so a crash run that failed can be replayed exactly with the same
 * seed (`KONTEXT_CRASH_SEED`).
 */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** A whole number in [min, max], from `random`. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The items in an order decided by `random` (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
