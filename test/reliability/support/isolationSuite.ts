import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LookupFn } from '../../../src/net/ssrf/index.js';
import { loopbackServer } from '../../server/support.js';
import { testImage } from '../../support/images.js';
import { ALICE, BOB, httpFixture, type HttpFixture } from './badInput/httpFixture.js';
import { snapshotDiff, snapshotStore } from './storeSnapshot.js';

/** Names the injected resolver knows, each to addresses the SSRF guard must refuse. No real DNS query is made. */
const RECORDS: Readonly<Record<string, string[]>> = {
  'internal.example': ['10.0.0.5'],
  'metadata.example': ['169.254.169.254'],
  'loop.example': ['127.0.0.1'],
  'v6loop.example': ['::1'],
  'mapped.example': ['::ffff:10.0.0.1'],
  'nat64.example': ['64:ff9b::a00:1'],
  'ula.example': ['fd12:3456::1'],
  'cgnat.example': ['100.64.1.1'],
  // One public and one private record: refused, so no choice of address can land inside.
  'split.example': ['93.184.216.34', '10.0.0.1'],
};
const lookup: LookupFn = async (hostname) => {
  const records = RECORDS[hostname.toLowerCase()];
  if (!records) throw Object.assign(new Error(`no such test host ${hostname}`), { code: 'ENOTFOUND' });
  return records.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

/**
 * Owners cannot see or touch each other's sessions over HTTP, and the image downloader goes
 * nowhere but where it may: every private, loopback, metadata or embedded address is refused
 * before a socket opens, redirects are re-checked, and a connect hook fails on any address
 * outside 127.0.0.0/8 and ::1.
 */
export function defineIsolationSuite(title: string): void {
  describe(title, () => {
    let f: HttpFixture;
    beforeEach(async () => {
      f = await httpFixture({ ssrf: { lookup } });
    });
    afterEach(() => f.close());

    it("one token cannot read or change another's sessions: every route is the 404 of a missing id", async () => {
      const sid = f.session.id;
      const json = { 'content-type': 'application/json' };
      const missing = await f.request('/sessions/nosuchsession1', { as: BOB });
      const missingMessage = ((await missing.json()) as { error: { message: string } }).error.message.replace('nosuchsession1', 'X');
      const probes: [string, RequestInit][] = [
        [`/sessions/${sid}`, {}],
        [`/sessions/${sid}/head`, {}],
        [`/sessions/${sid}/tree`, {}],
        [`/sessions/${sid}/cost`, {}],
        [`/sessions/${sid}/branches`, {}],
        [`/sessions/${sid}/turns/${f.first.id}`, {}],
        [`/sessions/${sid}/turns/${f.first.id}/path`, {}],
        [`/sessions/${sid}/turns/${f.first.id}/children`, {}],
        [`/sessions/${sid}/turns/main`, {}],
        [`/sessions/${sid}/events`, {}],
        [`/sessions/${sid}/turns/${f.first.id}/events`, {}],
        [`/sessions/${sid}/export`, {}],
        [`/sessions/${sid}`, { method: 'PATCH', headers: json, body: JSON.stringify({ title: 'mine now' }) }],
        [`/sessions/${sid}/turns`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'make it mine' }) }],
        [`/sessions/${sid}/turns?wait=true`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'make it mine', from: f.first.id }) }],
        [`/sessions/${sid}/turns/${f.first.id}/pick`, { method: 'POST', headers: json, body: JSON.stringify({ index: 1 }) }],
        [`/sessions/${sid}/turns/${f.second.id}/cancel`, { method: 'POST' }],
        [`/sessions/${sid}/undo`, { method: 'POST' }],
        [`/sessions/${sid}/redo`, { method: 'POST' }],
        [`/sessions/${sid}/checkout`, { method: 'POST', headers: json, body: JSON.stringify({ ref: 'alt' }) }],
        [`/sessions/${sid}/branches`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'stolen' }) }],
        [`/sessions/${sid}/branches/alt`, { method: 'PATCH', headers: json, body: JSON.stringify({ name: 'renamed' }) }],
        [`/sessions/${sid}/branches/alt`, { method: 'DELETE' }],
        [`/sessions/${sid}/replay`, { method: 'POST', headers: json, body: JSON.stringify({ mode: 'exact' }) }],
        [`/sessions/${sid}/what-if`, { method: 'POST', headers: json, body: JSON.stringify({ turn: f.second.id, prompt: 'make it mine' }) }],
        [`/sessions/${sid}`, { method: 'DELETE' }],
      ];
      const before = snapshotStore(f.store, f.blobDir);
      for (const [path, init] of probes) {
        const res = await f.request(path, { ...init, as: BOB });
        const label = `${init.method ?? 'GET'} ${path}`;
        expect(res.status, label).toBe(404);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code, label).toBe('NOT_FOUND');
        // The same words as for an id that does not exist: nothing tells "not yours" from "not there".
        expect(error.message.replace(sid, 'X'), label).toBe(missingMessage);
      }
      for (const hash of [f.first.outputs[0]!.blobHash, f.second.outputs[0]!.blobHash, f.second.inputBlob!]) {
        expect((await f.request(`/images/${hash}`, { as: BOB })).status).toBe(404);
        expect((await f.request(`/images/${hash}`, { as: ALICE })).status).toBe(200);
        expect((await f.request(`/images/${hash}`, { as: null })).status).toBe(401);
      }
      const listed = (await (await f.request('/sessions', { as: BOB })).json()) as { sessions: unknown[] };
      expect(listed.sessions).toEqual([]);
      await f.server.settleTurns(10_000);
      expect(snapshotDiff(before, snapshotStore(f.store, f.blobDir))).toEqual([]);
    });

    it("importing another owner's bundle neither reveals nor hands over the session", async () => {
      const bundle = new Uint8Array(await (await f.request(`/sessions/${f.session.id}/export`)).arrayBuffer());
      const before = snapshotStore(f.store, f.blobDir);
      const res = await f.request('/imports', { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: bundle, as: BOB });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect((await f.request(`/sessions/${f.session.id}`, { as: BOB })).status).toBe(404);
      expect((await f.store.getSession(f.session.id)).owner).toBe(ALICE.owner);
      expect(snapshotDiff(before, snapshotStore(f.store, f.blobDir))).toEqual([]);
    });

    it('requests without a valid token are 401, whatever they ask for', async () => {
      for (const authorization of [undefined, 'Bearer', 'Bearer wrong-token-0123456789', `Basic ${Buffer.from(`alice:${ALICE.token}`).toString('base64')}`, `Bearer ${ALICE.token}x`, `Bearer ${ALICE.token.slice(0, -1)}`]) {
        for (const path of ['/sessions', `/sessions/${f.session.id}`, `/images/${f.first.outputs[0]!.blobHash}`]) {
          const res = await f.request(path, { headers: authorization ? { authorization } : {}, as: null });
          expect(res.status, `${authorization} ${path}`).toBe(401);
        }
      }
    });

    it('refuses every image URL that leads off the public internet, without a packet leaving loopback', async () => {
      const urls = [
        'http://internal.example/a.png',
        'http://metadata.example/latest/meta-data/',
        'http://loop.example/a.png',
        'http://v6loop.example/a.png',
        'http://mapped.example/a.png',
        'http://nat64.example/a.png',
        'http://ula.example/a.png',
        'http://cgnat.example/a.png',
        'http://split.example/a.png',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:169.254.169.254]/',
        'http://0251.0376.0251.0376/',
        'http://127.1/',
        'http://[0:0:0:0:0:0:0:1]/',
        'https://10.1.2.3:8443/a.png',
        'http://localhost./a.png',
        'http://nonexistent.invalid/a.png',
      ];
      const before = snapshotStore(f.store, f.blobDir);
      for (const image_url of urls) {
        const res = await f.request('/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url }) });
        expect(res.status, image_url).toBe(422);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(['UNSAFE_URL', 'VALIDATION'], image_url).toContain(error.code);
        expect(error.message, image_url).toContain('image_url');
      }
      expect(f.connects).toEqual([]);
      expect(f.violations).toEqual([]);
      expect(snapshotDiff(before, snapshotStore(f.store, f.blobDir))).toEqual([]);
    });

    it('re-checks every redirect: a trusted image server redirecting inside is refused at the hop', async () => {
      const png = await testImage();
      const origin = await loopbackServer({
        '/ok.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png),
        '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
        '/to-internal': (_req, res) => res.writeHead(301, { location: 'http://internal.example/a.png' }).end(),
        '/to-file': (_req, res) => res.writeHead(307, { location: 'file:///etc/passwd' }).end(),
        '/to-gopher': (_req, res) => res.writeHead(308, { location: 'gopher://127.0.0.1:6379/_INFO' }).end(),
        '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
      });
      const trusting = await httpFixture({ ssrf: { lookup, allowHosts: ['127.0.0.1'] } });
      try {
        const before = snapshotStore(trusting.store, trusting.blobDir);
        for (const path of ['/to-metadata', '/to-internal', '/to-file', '/to-gopher', '/loop']) {
          const res = await trusting.request('/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url: `http://127.0.0.1:${origin.port}${path}` }) });
          expect(res.status, path).toBe(422);
        }
        expect(snapshotDiff(before, snapshotStore(trusting.store, trusting.blobDir))).toEqual([]);
        // The allow-listed server itself works, so the refusals above are the guard's doing.
        const ok = await trusting.request('/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url: `http://127.0.0.1:${origin.port}/ok.png` }) });
        expect(ok.status).toBe(201);
        expect(trusting.violations).toEqual([]);
        expect(trusting.connects.every((c) => c.address === '127.0.0.1')).toBe(true);
        expect(trusting.connects.length).toBeGreaterThan(0);
      } finally {
        await trusting.close();
        await origin.close();
      }
    });
  });
}
