import { createHash, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors/ValidationError.js';

/** One bearer token and the owner name its sessions are kept under. */
export interface TokenEntry {
  owner: string;
  token: string;
}

/** `"alice:tokenA,bob:tokenB"` (the `KONTEXT_TOKENS` format) or the entries themselves. */
export type TokenSpec = string | readonly TokenEntry[];

/** Short tokens on a network port can be guessed; 16 characters of a random string cannot. */
export const MIN_TOKEN_LENGTH = 16;
const OWNER_RE = /^[A-Za-z0-9._@-]{1,64}$/;
const TOKEN_RE = /^[\x21-\x7e]+$/;

/**
 * Bearer token → owner. Tokens are kept only as sha256 digests and compared in constant time
 * against every entry, so neither the comparison's timing nor a heap dump gives one away.
 */
export class TokenTable {
  private readonly entries: { digest: Buffer; owner: string }[];

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries.map((e) => ({ digest: digest(e.token), owner: e.owner }));
  }

  get size(): number {
    return this.entries.length;
  }

  ownerOf(token: string): string | undefined {
    const presented = digest(token);
    let found: string | undefined;
    // No early exit: the time taken does not depend on which entry (if any) matched.
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry.owner;
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Parses tokens from options or `KONTEXT_TOKENS`; undefined when none are configured. Refuses,
 * naming the entry by position (never echoing a token), malformed entries, tokens shorter than
 * {@link MIN_TOKEN_LENGTH} and a token given to two owners.
 *
 * @example
 * parseTokens('alice:5f1c0e2a9b7d4e3f,bob:0a9b8c7d6e5f4a3b') // TokenTable with 2 entries
 */
export function parseTokens(spec: TokenSpec | undefined): TokenTable | undefined {
  if (spec === undefined) return undefined;
  const entries: TokenEntry[] =
    typeof spec === 'string'
      ? spec
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0)
          .map((part, i) => {
            const colon = part.indexOf(':');
            if (colon <= 0) throw new ValidationError([{ field: `tokens[${i}]`, message: "is not 'owner:token'" }], 'KONTEXT_TOKENS');
            return { owner: part.slice(0, colon), token: part.slice(colon + 1) };
          })
      : [...spec];
  if (entries.length === 0) return undefined;
  const seen = new Map<string, string>();
  const issues = entries.flatMap((e, i) => {
    const field = `tokens[${i}]`;
    if (!OWNER_RE.test(e.owner)) return [{ field, message: `owner '${e.owner.slice(0, 64)}' must be 1-64 of letters, digits, '.', '_', '@', '-'` }];
    if (!TOKEN_RE.test(e.token) || e.token.includes(',')) return [{ field, message: `the token of '${e.owner}' must be printable ASCII without spaces or commas` }];
    if (e.token.length < MIN_TOKEN_LENGTH) return [{ field, message: `the token of '${e.owner}' is ${e.token.length} characters; use at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 16)` }];
    const other = seen.get(e.token);
    if (other !== undefined && other !== e.owner) return [{ field, message: `'${e.owner}' has the same token as '${other}'; each owner needs their own` }];
    seen.set(e.token, e.owner);
    return [];
  });
  if (issues.length > 0) throw new ValidationError(issues, 'tokens');
  return new TokenTable(entries);
}
