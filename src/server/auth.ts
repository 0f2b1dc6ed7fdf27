import type { MiddlewareHandler } from 'hono';
import type { ServerEnv } from './context.js';
import { UnauthorizedError } from './errors/UnauthorizedError.js';
import type { TokenTable } from './tokens.js';

/**
 * Requires `Authorization: Bearer <token>` and sets `owner` to the token's owner. Without a
 * token table every request is the single local user (owner null): the server then listens on
 * loopback only and {@link loopbackGuard} keeps other web origins out.
 */
export function bearerAuth(tokens: TokenTable | undefined): MiddlewareHandler<ServerEnv> {
  return async function bearerAuth(c, next) {
    if (!tokens) {
      c.set('owner', null);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    const owner = match ? tokens.ownerOf(match[1]!) : undefined;
    if (owner === undefined) throw new UnauthorizedError(header ? 'unknown bearer token' : undefined);
    c.set('owner', owner);
    return next();
  };
}
