/**
 * A `fetch` for @fal-ai/client that sends fal's hosts to a loopback test server and
 * refuses everything else, so a test or benchmark cannot reach the real network even by
 * mistake (a stray default host, a URL from a response).
 */
export function falLoopbackFetch(server: { queueUrl: string; runUrl: string; storageUrl: string }): typeof fetch {
  const hosts = new Map<string, string>([
    ['queue.fal.run', server.queueUrl],
    ['fal.run', server.runUrl],
    ['rest.fal.ai', server.storageUrl],
    ['rest.alpha.fal.ai', server.storageUrl],
  ]);
  return async (input, init) => {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new Error('falLoopbackFetch: only string/URL inputs are expected from @fal-ai/client');
    const url = new URL(input);
    let target: string;
    if (isLoopback(url.hostname)) {
      target = url.href;
    } else {
      const base = hosts.get(url.host);
      if (url.protocol !== 'https:' || base === undefined) throw new Error(`network disabled in tests: refusing ${url.origin}`);
      target = `${base}${url.pathname}${url.search}`;
    }
    // `mode: 'cors'` (which fal-js sets) means nothing to Node; drop it rather than rely on that.
    const { mode: _mode, ...rest } = init ?? {};
    return fetch(target, rest);
  };
}

export function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}
