import { customAlphabet } from 'nanoid';
import { ValidationError } from '../errors/ValidationError.js';

/**
 * Ids are 12 letters and digits (71 bits): no `-` or `_`, so an id never reads as a CLI flag
 * and a short prefix can be typed like a git hash.
 */
export const newTurnId = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 12);

/** Prefix lookups accept only id-like text (older ids may contain `-` and `_`). */
export const ID_ALPHABET_RE = /^[A-Za-z0-9_-]+$/;

/** The shortest id prefix that names a turn, so a typo does not silently pick some turn. */
export const MIN_ID_PREFIX = 4;

const REF_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,99}$/;

/**
 * A new turn id from `newId` that none of `names` (branch names) is the start of, so a prefix of
 * at least MIN_ID_PREFIX characters names one thing only. Gives up after a few tries: with 71
 * bits of id a clash is already vanishingly rare.
 */
export function idAvoidingPrefixes(newId: () => string, names: readonly string[]): string {
  const long = names.filter((n) => n.length >= MIN_ID_PREFIX);
  for (let attempt = 0; ; attempt++) {
    const id = newId();
    if (!long.some((n) => id.startsWith(n)) || attempt >= 16) return id;
  }
}

/** Throws a ValidationError (field `branch`) unless `name` is a valid branch name. */
export function validateRefName(name: string): void {
  // HEAD and its relatives are how turns are named (`HEAD~2`): a branch called so would shadow them.
  if (/^HEAD([~^]\d*)*$/i.test(name)) {
    throw new ValidationError([{ field: 'branch', message: `${JSON.stringify(name)} is not allowed as a branch name: it reads as HEAD, which names a turn` }]);
  }
  if (!REF_NAME_RE.test(name) || name.includes('..') || name.endsWith('/') || name.endsWith('.')) {
    throw new ValidationError([
      { field: 'branch', message: `${JSON.stringify(name)} is not a valid branch name; use 1-100 of letters, digits, '.', '_', '-', '/', starting with a letter or digit, without '..'` },
    ]);
  }
}

/** The branch-name error for a name that is the start of a turn's id (a prefix must name one thing only). */
export function branchReadsAsTurnId(name: string, turnId: string): ValidationError {
  return new ValidationError([
    { field: 'branch', message: `${JSON.stringify(name)} reads as a turn id: turn '${turnId}' starts with it; choose a name that is not the start of a turn id` },
  ]);
}
