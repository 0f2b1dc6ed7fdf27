import type { Hono } from 'hono';

/**
 * The methods the app's routes answer at `path` (middleware registered for every method aside),
 * so a request with another method can be told 405 with an `Allow` header instead of 404.
 */
export function allowedMethods(app: Hono<any>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    if (patternOf(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

const patterns = new Map<string, RegExp>();

/** `/sessions/:sessionId/branches/:name{.+}` as a RegExp: `:x` is one segment, `:x{re}` its own pattern. */
function patternOf(routePath: string): RegExp {
  let pattern = patterns.get(routePath);
  if (!pattern) {
    const source = routePath
      .split('/')
      .map((part) => {
        const param = /^:[A-Za-z0-9_]+(?:\{(.+)\})?$/.exec(part);
        if (param) return param[1] ? `(?:${param[1]})` : '[^/]+';
        return part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    pattern = new RegExp(`^${source}$`);
    patterns.set(routePath, pattern);
  }
  return pattern;
}
