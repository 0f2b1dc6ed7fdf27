import { describe, expect, it } from 'vitest';
import { createSsrfGuard, type ConnectTarget, type SsrfGuardOptions } from '../../src/net/ssrf/index.js';

/**
 * What allowLoopback and allowPrivate let through. The connect hook refuses every socket, so
 * an address that passes the checks shows up in `connects` and nothing is ever sent: a
 * private address is never actually dialled from a test.
 */
function guard(options: SsrfGuardOptions) {
  const connects: string[] = [];
  const fetchImage = createSsrfGuard({
    ...options,
    lookup: async (host) => {
      throw Object.assign(new Error(`unexpected lookup of ${host}`), { code: 'ENOTFOUND' });
    },
    connect: (target: ConnectTarget) => {
      connects.push(target.address);
      throw new Error('test: connections are refused here');
    },
  });
  const outcome = (url: string) =>
    fetchImage(url, { maxBytes: 1024, field: 'image.url' }).then(
      () => 'fetched',
      (error: { code?: string; details?: { reason?: string } }) => (error.code === 'UNSAFE_URL' ? `refused: ${error.details?.reason}` : `tried (${error.code})`),
    );
  return { outcome, connects };
}

describe('the SSRF guard lets loopback and private networks through only when told to', () => {
  it('by default refuses loopback and private addresses before connecting', async () => {
    const { outcome, connects } = guard({});
    expect(await outcome('http://127.0.0.1:9/a.png')).toBe('refused: loopback');
    expect(await outcome('http://[::1]:9/a.png')).toBe('refused: loopback');
    expect(await outcome('http://10.1.2.3/a.png')).toBe('refused: private');
    expect(await outcome('http://[fd12::1]/a.png')).toBe('refused: unique-local');
    expect(connects).toEqual([]);
  });

  it('allowLoopback admits this machine and nothing else', async () => {
    const { outcome, connects } = guard({ allowLoopback: true });
    expect(await outcome('http://127.0.0.1:9/a.png')).toBe('tried (NETWORK)');
    expect(await outcome('http://[::ffff:127.0.0.2]:9/a.png')).toBe('tried (NETWORK)');
    expect(await outcome('http://192.168.1.10/a.png')).toBe('refused: private');
    expect(await outcome('http://0.0.0.0/a.png')).toBe('refused: unspecified');
    expect(connects).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  it('allowPrivate admits private networks but never cloud metadata or link-local', async () => {
    const { outcome, connects } = guard({ allowPrivate: true });
    expect(await outcome('http://10.1.2.3/a.png')).toBe('tried (NETWORK)');
    expect(await outcome('http://[fd12::1]/a.png')).toBe('tried (NETWORK)');
    expect(await outcome('http://169.254.169.254/latest/meta-data/')).toBe('refused: metadata');
    expect(await outcome('http://169.254.10.10/a.png')).toBe('refused: link-local');
    expect(await outcome('http://127.0.0.1:9/a.png')).toBe('refused: loopback');
    expect(connects).toEqual(['10.1.2.3', 'fd12::1']);
  });

  it('names the field it was given in its refusals', async () => {
    const fetchImage = createSsrfGuard({});
    await expect(fetchImage('http://127.0.0.1:9/a.png', { maxBytes: 10, field: 'image.url' })).rejects.toMatchObject({
      details: { field: 'image.url' },
      message: expect.stringMatching(/^image\.url points at 127\.0\.0\.1/),
    });
    await expect(fetchImage('http://127.0.0.1:9/a.png', { maxBytes: 10 })).rejects.toMatchObject({ details: { field: 'image_url' } });
  });
});
