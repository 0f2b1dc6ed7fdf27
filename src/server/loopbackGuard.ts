import type { MiddlewareHandler } from 'hono';
import { CrossOriginError } from './errors/CrossOriginError.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Names a browser can only mean this machine by. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * For the token-less server (loopback only, no credentials). Any web page the user visits can
 * make their browser send requests to 127.0.0.1, so: the Host must be a loopback name (a DNS
 * rebinding attack arrives with the attacker's host name), and a state-changing request must
 * come from this origin (a cross-site form POST needs no preflight and would otherwise spend
 * the user's fal credit).
 */
export function loopbackGuard(): MiddlewareHandler {
  return async function loopbackGuard(c, next) {
    const url = new URL(c.req.url);
    if (!isLoopbackHostname(url.hostname)) {
      throw new CrossOriginError(`host '${url.hostname}' is not a loopback name; a server without tokens only answers to localhost / 127.0.0.1 / [::1]`);
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const site = c.req.header('sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') throw new CrossOriginError(`refusing a ${site} ${c.req.method}; use the page this server serves`);
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== url.origin) throw new CrossOriginError(`refusing a ${c.req.method} from origin ${origin.slice(0, 100)}; use the page this server serves`);
    }
    return next();
  };
}
