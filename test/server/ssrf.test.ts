import { afterEach, describe, expect, it } from 'vitest';
import { checkAddress, createSsrfGuard, UnsafeUrlError, type LookupFn, type SsrfGuardOptions } from '../../src/server/index.js';
import { ErrorJson } from '../../src/server/schemas.js';
import { JSON_HEADERS, loopbackOnly, loopbackServer, makeEngine, makeServer, testImage } from './support.js';

/** A resolver from a fixed table; counts its calls. Nothing ever reaches a real DNS server. */
function resolver(table: Record<string, string[] | ((call: number) => string[])>): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const entry = table[hostname];
    const addresses = typeof entry === 'function' ? entry(calls.filter((h) => h === hostname).length) : entry;
    if (!addresses) throw Object.assign(new Error(`no test record for ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

let net = loopbackOnly();
afterEach(() => {
  // The hard rule: whatever a test did, no connection went anywhere but loopback.
  expect(net.violations).toEqual([]);
  net = loopbackOnly();
});

function guard(options: SsrfGuardOptions = {}) {
  return createSsrfGuard({ connect: net.hook, lookup: resolver({}), ...options });
}

async function refusal(promise: Promise<unknown>): Promise<UnsafeUrlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnsafeUrlError);
  return error as UnsafeUrlError;
}

describe('the address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00:ec2::254', 'metadata'],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::7f00:1', 'ipv4-embedded'],
    ['64:ff9b::a00:1', 'ipv4-embedded'],
    ['2002:7f00:1::', 'ipv4-embedded'],
    ['2001:db8::1', 'reserved'],
  ])('%s is refused as %s', (address, reason) => {
    const verdict = checkAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed === false && verdict.reason).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'])('%s (public) is allowed', (address) => {
    expect(checkAddress(address).allowed).toBe(true);
  });

  it('judges an IPv4-mapped address as the IPv4 address it is, and connects to that form', () => {
    expect(checkAddress('::ffff:93.184.216.34')).toEqual({ allowed: true, address: '93.184.216.34', family: 4 });
  });
});

describe('the guard refuses before connecting', () => {
  it.each([
    ['http://127.0.0.1/x.png', 'loopback'],
    ['http://10.0.0.1/x.png', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[::1]/x.png', 'loopback'],
    ['http://[::ffff:127.0.0.1]/x.png', 'loopback'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://2130706433/x.png', 'loopback'],
    ['http://0x7f.1/x.png', 'loopback'],
    ['http://017700000001/x.png', 'loopback'],
    ['http://0x7f000001/x.png', 'loopback'],
    ['http://127.1/x.png', 'loopback'],
    ['https://0/x.png', 'unspecified'],
    ['ftp://example.com/x.png', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://127.0.0.1:6379/_INFO', 'scheme'],
    ['http://user:secret@example.com/x.png', 'credentials'],
    ['not a url', 'invalid-url'],
  ])('%s (%s)', async (url, reason) => {
    const error = await refusal(guard()(url, { maxBytes: 1024 }));
    expect(error.reason).toBe(reason);
    expect(error.code).toBe('UNSAFE_URL');
    expect(net.connects).toEqual([]);
  });

  it('a name that resolves to a private address, without saying which address', async () => {
    const lookup = resolver({ 'intranet.test': ['10.1.2.3'], 'localhost': ['127.0.0.1', '::1'] });
    const error = await refusal(guard({ lookup })('http://intranet.test/secret.png', { maxBytes: 1024 }));
    expect(error.reason).toBe('private');
    expect(error.address).toBe('10.1.2.3');
    expect(JSON.stringify(error.toJSON())).not.toContain('10.1.2.3');
    expect((await refusal(guard({ lookup })('http://localhost/x.png', { maxBytes: 1024 }))).reason).toBe('loopback');
    expect(net.connects).toEqual([]);
  });

  it('a name with one public and one private record (the private one could be chosen)', async () => {
    const lookup = resolver({ 'mixed.test': ['93.184.216.34', '192.168.0.10'] });
    expect((await refusal(guard({ lookup })('https://mixed.test/x.png', { maxBytes: 1024 }))).reason).toBe('private');
    expect(net.connects).toEqual([]);
  });

  it('through the API: POST /sessions with a metadata URL is a 422 UNSAFE_URL, and nothing is created', async () => {
    const { app } = makeServer(makeEngine(), { ssrf: { connect: net.hook } });
    const res = await app.request('/sessions', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ image_url: 'http://169.254.169.254/latest/meta-data/iam/' }) });
    expect(res.status).toBe(422);
    expect(ErrorJson.parse(await res.json()).error).toMatchObject({ code: 'UNSAFE_URL', details: { field: 'image_url', reason: 'metadata' } });
    expect((await (await app.request('/sessions')).json()).sessions).toEqual([]);
    expect(net.connects).toEqual([]);
  });
});

describe('redirects', () => {
  it('a redirect to a private address is refused at that hop (the first hop was fetched, the second never)', async () => {
    const origin = await loopbackServer({
      '/to-private': (_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/admin.png' }).end(),
      '/to-metadata': (_req, res) => res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
      '/to-loopback-literal': (_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${origin.port}/secret.png` }).end(),
      '/to-internal-name': (_req, res) => res.writeHead(308, { location: 'http://intranet.test/x.png' }).end(),
    });
    try {
      const lookup = resolver({ 'images.test': ['127.0.0.1'], 'intranet.test': ['172.20.0.5'] });
      const fetchImage = guard({ allowHosts: ['images.test'], lookup });
      const base = `http://images.test:${origin.port}`;
      expect((await refusal(fetchImage(`${base}/to-private`, { maxBytes: 1024 }))).reason).toBe('private');
      expect((await refusal(fetchImage(`${base}/to-metadata`, { maxBytes: 1024 }))).reason).toBe('metadata');
      // The allow-list names a host, not an address: the literal 127.0.0.1 is still loopback.
      expect((await refusal(fetchImage(`${base}/to-loopback-literal`, { maxBytes: 1024 }))).reason).toBe('loopback');
      expect((await refusal(fetchImage(`${base}/to-internal-name`, { maxBytes: 1024 }))).reason).toBe('private');
      expect(origin.hits).toEqual(['/to-private', '/to-metadata', '/to-loopback-literal', '/to-internal-name']);
      expect(net.connects.every((c) => c.address === '127.0.0.1' && c.hostname === 'images.test')).toBe(true);
    } finally {
      await origin.close();
    }
  });

  it('follows up to 3 redirects, re-checking each; a 4th is refused', async () => {
    const image = await testImage();
    const origin = await loopbackServer({
      '/a': (_req, res) => res.writeHead(302, { location: '/b' }).end(),
      '/b': (_req, res) => res.writeHead(302, { location: '/c' }).end(),
      '/c': (_req, res) => res.writeHead(302, { location: '/image.png' }).end(),
      '/image.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(image),
      '/z': (_req, res) => res.writeHead(302, { location: '/a' }).end(),
    });
    try {
      const lookup = resolver({ 'images.test': ['127.0.0.1'] });
      const fetchImage = guard({ allowHosts: ['images.test'], lookup });
      const bytes = await fetchImage(`http://images.test:${origin.port}/a`, { maxBytes: 1 << 20 });
      expect(bytes.equals(image)).toBe(true);
      // One resolution per hop: undici never resolves the name itself.
      expect(lookup.calls).toEqual(['images.test', 'images.test', 'images.test', 'images.test']);
      expect((await refusal(fetchImage(`http://images.test:${origin.port}/z`, { maxBytes: 1 << 20 }))).reason).toBe('too-many-redirects');
    } finally {
      await origin.close();
    }
  });
});

describe('pinning, size and time', () => {
  it('connects to the address it vetted, even if the name resolves elsewhere afterwards (DNS rebinding)', async () => {
    const image = await testImage();
    const origin = await loopbackServer({ '/x.png': (_req, res) => res.writeHead(200).end(image) });
    try {
      // First answer 127.0.0.1 (where the server is), then 127.0.0.2 (where nothing listens).
      const lookup = resolver({ 'rebind.test': (call) => (call === 1 ? ['127.0.0.1'] : ['127.0.0.2']) });
      const bytes = await guard({ allowHosts: ['rebind.test'], lookup })(`http://rebind.test:${origin.port}/x.png`, { maxBytes: 1 << 20 });
      expect(bytes.equals(image)).toBe(true);
      expect(lookup.calls).toEqual(['rebind.test']);
      expect(net.connects.map((c) => [c.hostname, c.address, c.port])).toEqual([['rebind.test', '127.0.0.1', origin.port]]);
    } finally {
      await origin.close();
    }
  });

  it('refuses a body over the limit, declared or streamed', async () => {
    const big = Buffer.alloc(64 * 1024, 1);
    const origin = await loopbackServer({
      '/declared': (_req, res) => res.writeHead(200, { 'content-length': String(big.length) }).end(big),
      '/chunked': (_req, res) => {
        res.writeHead(200);
        res.write(big.subarray(0, 32 * 1024));
        res.end(big.subarray(32 * 1024));
      },
    });
    try {
      const fetchImage = guard({ allowHosts: ['images.test'], lookup: resolver({ 'images.test': ['127.0.0.1'] }) });
      for (const path of ['/declared', '/chunked']) {
        await expect(fetchImage(`http://images.test:${origin.port}${path}`, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('limit') });
      }
    } finally {
      await origin.close();
    }
  });

  it('gives up on a server that never answers (TIMEOUT) and on a non-200 (VALIDATION)', async () => {
    const origin = await loopbackServer({
      '/never': () => undefined,
      '/missing.png': (_req, res) => res.writeHead(404).end(),
    });
    try {
      const fetchImage = guard({ allowHosts: ['images.test'], lookup: resolver({ 'images.test': ['127.0.0.1'] }), timeoutMs: 300 });
      await expect(fetchImage(`http://images.test:${origin.port}/never`, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'TIMEOUT', phase: 'download' });
      await expect(fetchImage(`http://images.test:${origin.port}/missing.png`, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('HTTP 404') });
    } finally {
      await origin.close();
    }
  });
});
