import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { testImage } from '../../../support/images.js';
import type { BadInputCase } from './BadInputCase.js';
import { BAD_PARAM_VALUES, show, UNKNOWN_FIELDS } from './badValues.js';
import { HTTP_LIMITS, type HttpFixture } from './httpFixture.js';
import { rawTar } from './rawTar.js';

export interface HttpCase extends BadInputCase {
  send: () => Promise<Response>;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const V = ['VALIDATION'] as const;
const NF = ['NOT_FOUND'] as const;
const M = ['MALFORMED'] as const;
const UNSAFE = ['UNSAFE_URL', 'VALIDATION'] as const;

/**
 * The HTTP part of the bad-input corpus: the same wrong params as the library's, sent as
 * JSON, plus what only HTTP has — wrong content types, broken JSON, unknown query
 * parameters, hostile path segments, uploads (broken, non-image, oversized, malformed
 * multipart), image URLs the SSRF guard must refuse, and malformed bundle uploads.
 */
export async function httpCases(f: HttpFixture): Promise<HttpCase[]> {
  const sid = f.session.id;
  const cases: HttpCase[] = [];
  const add = (group: string, name: string, codes: readonly string[], names: string, send: () => Promise<Response>) => cases.push({ surface: 'http', group, name, codes, names, send });
  const post = (path: string, body: unknown, extra: RequestInit = {}) =>
    f.request(path, { method: 'POST', headers: JSON_TYPE, body: typeof body === 'string' ? body : JSON.stringify(body), ...extra });
  const turns = `/sessions/${sid}/turns`;

  // ---- params, as JSON (NaN and Infinity cannot be written in JSON: they become null)
  for (const [field, values] of Object.entries(BAD_PARAM_VALUES)) {
    for (const value of values) {
      if (typeof value === 'number' && !Number.isFinite(value)) continue;
      add('params', `edit ${field}=${show(value)}`, V, field, () => post(turns, { prompt: 'make it red', params: { [field]: value } }));
    }
    add('params', `PATCH session params.${field}=${show(values[0])}`, V, field, () => f.request(`/sessions/${sid}`, { method: 'PATCH', headers: JSON_TYPE, body: JSON.stringify({ params: { [field]: values[0] } }) }));
    add('params', `what-if params.${field}=${show(values[0])}`, V, field, () => post(`/sessions/${sid}/what-if`, { turn: f.second.id, params: { [field]: values[0] } }));
  }
  for (const field of UNKNOWN_FIELDS) {
    add('unknown field', `edit params with unknown ${JSON.stringify(field)}`, V, field.trim() || field, () => post(turns, { prompt: 'make it red', params: { [field]: 1 } }));
  }
  add('unknown field', 'edit body with an unknown top-level field', V, 'sneaky', () => post(turns, { prompt: 'make it red', sneaky: true }));
  add('unknown field', 'edit body with __proto__', V, '__proto__', () => post(turns, '{"prompt":"make it red","__proto__":{"polluted":true}}'));
  add('unknown field', 'session create with an unknown field', V, 'color', () => post('/sessions', { image_url: 'https://example.com/a.png', color: 'red' }));
  add('unknown field', 'unknown query parameter', V, 'debug', () => f.request(`/sessions/${sid}?debug=1`));
  add('unknown field', 'a query parameter given twice', V, 'wait', () => post(`${turns}?wait=true&wait=false`, { prompt: 'make it red' }));
  add('unknown field', 'wait=yes', V, 'wait', () => post(`${turns}?wait=yes`, { prompt: 'make it red' }));

  // ---- prompts
  add('prompt', 'edit with an empty prompt', V, 'prompt', () => post(turns, { prompt: '' }));
  add('prompt', 'edit with a blank prompt', V, 'prompt', () => post(turns, { prompt: ' \n\t ' }));
  add('prompt', 'edit with a 10,001-character prompt', V, 'prompt', () => post(turns, { prompt: 'x'.repeat(10_001) }));
  add('prompt', 'edit with a prompt over the JSON body limit', ['TOO_LARGE'], 'bytes', () => post(turns, { prompt: 'y'.repeat(HTTP_LIMITS.maxJsonBytes + 10) }));
  add('prompt', 'edit with a number as the prompt', V, 'prompt', () => post(turns, { prompt: 42 }));
  add('prompt', 'edit with null as the prompt', V, 'prompt', () => post(turns, { prompt: null }));
  add('prompt', 'edit without a prompt', V, 'prompt', () => post(turns, {}));
  add('prompt', 'session from an empty prompt', V, 'prompt', () => post('/sessions', { prompt: '' }));
  add('prompt', 'what-if with a 10,001-character prompt', V, 'prompt', () => post(`/sessions/${sid}/what-if`, { turn: f.second.id, prompt: 'x'.repeat(10_001) }));

  // ---- the body itself
  add('body', 'edit with Content-Type text/plain', M, 'Content-Type', () => f.request(turns, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ prompt: 'make it red' }) }));
  add('body', 'edit without a Content-Type', M, 'Content-Type', () => f.request(turns, { method: 'POST', body: JSON.stringify({ prompt: 'make it red' }) }));
  add('body', 'edit with broken JSON', M, 'JSON', () => post(turns, '{"prompt": "make it red",'));
  add('body', 'edit with NaN in the JSON', M, 'JSON', () => post(turns, '{"prompt": "x", "params": {"seed": NaN}}'));
  add('body', 'edit with an empty body', M, 'body', () => post(turns, ''));
  add('body', 'edit with a JSON array', V, 'body', () => post(turns, '[1,2,3]'));
  add('body', 'edit with JSON null', V, 'body', () => post(turns, 'null'));
  add('body', 'edit with a JSON string', V, 'body', () => post(turns, '"make it red"'));
  add('body', 'edit with a deeply nested body', ['VALIDATION', 'MALFORMED'], 'body', () => post(turns, `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`));
  add('body', 'undo with a body that is not empty', V, 'body', () => post(`/sessions/${sid}/undo`, { steps: 2 }));
  add('body', 'PATCH session with budgetMicros -1', V, 'budgetMicros', () => f.request(`/sessions/${sid}`, { method: 'PATCH', headers: JSON_TYPE, body: JSON.stringify({ budgetMicros: -1 }) }));
  add('body', 'PATCH session with a 201-character title', V, 'title', () => f.request(`/sessions/${sid}`, { method: 'PATCH', headers: JSON_TYPE, body: JSON.stringify({ title: 't'.repeat(201) }) }));
  add('body', 'PATCH session with an unknown endpoint', V, 'endpoint', () => f.request(`/sessions/${sid}`, { method: 'PATCH', headers: JSON_TYPE, body: JSON.stringify({ endpoint: 'nope/nope' }) }));
  add('body', 'edit on an unknown endpoint', V, 'endpoint', () => post(turns, { prompt: 'make it red', endpoint: 'nope/nope' }));
  add('body', 'edit with memo=sometimes', V, 'memo', () => post(turns, { prompt: 'make it red', memo: 'sometimes' }));
  add('body', 'edit with candidate 7', V, 'candidate', () => post(turns, { prompt: 'make it red', candidate: 7 }));
  add('body', 'edit with candidate "1"', V, 'candidate', () => post(turns, { prompt: 'make it red', candidate: '1' }));
  add('body', 'edit from candidate 3 of a 2-candidate turn', V, 'candidate', () => post(turns, { prompt: 'make it red', from: f.first.id, candidate: 3 }));
  add('body', 'pick index 9', V, 'index', () => post(`/sessions/${sid}/turns/${f.first.id}/pick`, { index: 9 }));
  add('body', 'pick index 2 of a 2-candidate turn', V, 'candidate', () => post(`/sessions/${sid}/turns/${f.first.id}/pick`, { index: 2 }));
  add('body', 'pick index "1"', V, 'index', () => post(`/sessions/${sid}/turns/${f.first.id}/pick`, { index: '1' }));
  add('body', 'replay with mode sideways', V, 'mode', () => post(`/sessions/${sid}/replay`, { mode: 'sideways' }));
  add('body', 'what-if without a change', V, 'prompt', () => post(`/sessions/${sid}/what-if`, { turn: f.second.id }));
  add('body', 'what-if on the root', V, 'turn', () => post(`/sessions/${sid}/what-if`, { turn: f.session.headTurnId === f.second.id ? `${f.second.id}~2` : 'HEAD~2', prompt: 'x' }));

  // ---- ids and names in paths and bodies
  const badIds = ['nope', '..%2F..%2Fetc%2Fpasswd', '%27%20OR%201%3D1%20--', 'x'.repeat(100), '%00', '%F0%9F%99%82', '.', '..'];
  for (const id of badIds) {
    // `.` and `..` are path segments, resolved away by URL parsing: what is left has no route.
    const names = id === '.' || id === '..' ? 'no route' : 'session';
    add('id', `GET session ${id.slice(0, 30)}`, NF, names, () => f.request(`/sessions/${id}`));
    // `/sessions/./turns` resolves to `/sessions/turns`, a session's path, which answers no POST.
    const codes = id === '.' ? ['METHOD_NOT_ALLOWED'] : NF;
    add('id', `edit in session ${id.slice(0, 30)}`, codes, id === '.' ? 'POST' : names, () => post(`/sessions/${id}/turns`, { prompt: 'make it red' }));
  }
  for (const ref of ['nope', '..%2F..%2Fx', '____', 'HEAD~99', '%25%25%25%25', 'x'.repeat(200)]) {
    add('id', `GET turn ${ref.slice(0, 30)}`, ['NOT_FOUND', 'VALIDATION'], 'turn', () => f.request(`/sessions/${sid}/turns/${ref}`));
  }
  for (const ref of ['../main', '', 'a b', '____', 'HEAD~99', 'x'.repeat(200), "'; drop table turns; --"]) {
    add('turn ref', `edit from ${JSON.stringify(ref.slice(0, 30))}`, ['VALIDATION', 'NOT_FOUND'], ref === '' || ref.length > 128 || /[^A-Za-z0-9._/~-]/.test(ref) || ref.startsWith('.') ? 'from' : ref.slice(0, 20), () => post(turns, { prompt: 'make it red', from: ref }));
    add('turn ref', `checkout ${JSON.stringify(ref.slice(0, 30))}`, ['VALIDATION', 'NOT_FOUND'], ref === '' || ref.length > 128 || /[^A-Za-z0-9._/~-]/.test(ref) || ref.startsWith('.') ? 'ref' : ref.slice(0, 20), () => post(`/sessions/${sid}/checkout`, { ref }));
  }
  for (const name of ['../x', 'a/../b', '', 'a b', 'x'.repeat(101), '.hidden', 'new\nline', 'nul\u0000byte']) {
    add('branch name', `create branch ${JSON.stringify(name.slice(0, 30))}`, V, name === '' || name.length > 100 ? 'name' : 'branch', () => post(`/sessions/${sid}/branches`, { name }));
    add('branch name', `replay into branch ${JSON.stringify(name.slice(0, 30))}`, V, name === '' || name.length > 100 ? 'branch' : 'branch', () => post(`/sessions/${sid}/replay`, { branch: name }));
  }
  add('branch name', 'rename a branch to ../x', V, 'branch', () => f.request(`/sessions/${sid}/branches/alt`, { method: 'PATCH', headers: JSON_TYPE, body: JSON.stringify({ name: '../x' }) }));
  add('branch name', 'rename a branch that does not exist', NF, 'nope', () => f.request(`/sessions/${sid}/branches/nope`, { method: 'PATCH', headers: JSON_TYPE, body: JSON.stringify({ name: 'fine' }) }));
  add('branch name', 'delete a branch by a traversal path', NF, 'branch', () => f.request(`/sessions/${sid}/branches/..%2F..%2Fmain`, { method: 'DELETE' }));
  add('method', 'PUT on a session', ['METHOD_NOT_ALLOWED'], 'PUT', () => f.request(`/sessions/${sid}`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ title: 'x' }) }));
  add('method', 'PUT on a branch', ['METHOD_NOT_ALLOWED'], 'PUT', () => f.request(`/sessions/${sid}/branches/alt`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ name: 'y' }) }));
  add('branch name', 'create an existing branch', ['CONFLICT'], 'alt', () => post(`/sessions/${sid}/branches`, { name: 'alt' }));
  add('id', 'GET an image that is not a hash', NF, 'image', () => f.request('/images/..%2F..%2Fkontext.db'));
  add('id', 'GET an image nobody has', NF, 'image', () => f.request(`/images/${'0'.repeat(64)}`));
  add('id', 'events of a turn that does not exist', ['NOT_FOUND', 'VALIDATION'], 'turn', () => f.request(`/sessions/${sid}/events?turn=nope`));
  add('id', 'events after a garbage id', ['VALIDATION', 'MALFORMED'], 'event id', () => f.request(`/sessions/${sid}/events?after=${'%00'.repeat(3)}`));

  // ---- uploads
  const png = await testImage();
  const oversized = await sharp({ create: { width: 400, height: 400, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
  const upload = (bytes: Uint8Array, type: string, query = '') => f.request(`/sessions${query}`, { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(bytes) });
  add('upload', 'raw upload of random bytes', V, 'image', () => upload(Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 13) % 256)), 'image/png'));
  add('upload', 'raw upload of a truncated PNG', V, 'image', () => upload(png.subarray(0, png.length >> 1), 'image/png'));
  add('upload', 'raw upload of text labelled image/jpeg', V, 'image', () => upload(Buffer.from('not an image'), 'image/jpeg'));
  add('upload', 'raw upload of an SVG', ['VALIDATION', 'MALFORMED'], 'image', () => upload(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'));
  add('upload', 'raw upload with an empty body', M, 'empty', () => upload(Buffer.alloc(0), 'image/png'));
  add('upload', 'raw upload over the size limit', ['TOO_LARGE', 'VALIDATION'], 'image', () => upload(Buffer.concat([oversized, oversized]), 'image/png'));
  add('upload', 'raw upload with bad params in the query', V, 'guidance_scale', () => upload(png, 'image/png', `?params=${encodeURIComponent(JSON.stringify({ guidance_scale: 50 }))}`));
  add('upload', 'raw upload with params that are not JSON', M, 'params', () => upload(png, 'image/png', '?params=%7Bnope'));
  add('upload', 'raw upload with an unknown query parameter', V, 'color', () => upload(png, 'image/png', '?color=red'));
  add('upload', 'raw upload with budgetMicros=-5', V, 'budgetMicros', () => upload(png, 'image/png', '?budgetMicros=-5'));
  const form = (parts: [string, string | Blob, string?][]) => {
    const data = new FormData();
    for (const [key, value, filename] of parts) {
      if (typeof value === 'string') data.append(key, value);
      else data.append(key, value, filename ?? 'upload.png');
    }
    return f.request('/sessions', { method: 'POST', body: data });
  };
  const pngBlob = new Blob([new Uint8Array(png)], { type: 'image/png' });
  add('upload', 'multipart without the image', V, 'image', () => form([['title', 'x']]));
  add('upload', 'multipart with the image as text', V, 'image', () => form([['image', 'data:image/png;base64,AAAA']]));
  add('upload', 'multipart with an unknown field', V, 'colour', () => form([['image', pngBlob], ['colour', 'red']]));
  add('upload', 'multipart with two images', V, 'image', () => form([['image', pngBlob], ['image', pngBlob]]));
  add('upload', 'multipart with a broken image', V, 'image', () => form([['image', new Blob([new Uint8Array(png.subarray(0, 40))], { type: 'image/png' })]]));
  add('upload', 'multipart with a path-traversal file name and text content', V, 'image', () => form([['image', new Blob([Buffer.from('#!/bin/sh\nrm -rf /')], { type: 'image/png' }), '../../../../etc/cron.d/evil']]));
  add('upload', 'multipart with params that are not JSON', M, 'params', () => form([['image', pngBlob], ['params', '{']]));
  add('upload', 'multipart with a file as the title', V, 'title', () => form([['image', pngBlob], ['title', pngBlob]]));
  add('upload', 'multipart whose body is cut off', M, 'multipart', () => f.request('/sessions', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: '--XyZ\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n\x89PNG' }));
  add('upload', 'session create with Content-Type text/html', M, 'Content-Type', () => f.request('/sessions', { method: 'POST', headers: { 'content-type': 'text/html' }, body: '<p>hi</p>' }));
  add('upload', 'session create with both image_url and prompt', V, 'image_url', () => post('/sessions', { image_url: 'https://example.com/a.png', prompt: 'a cat' }));
  add('upload', 'session create with neither image_url nor prompt', V, 'image_url', () => post('/sessions', {}));

  // ---- image URLs the SSRF guard refuses (no lookup and no connection may happen)
  const unsafe = [
    'file:///etc/passwd',
    'ftp://example.com/a.png',
    'gopher://127.0.0.1:6379/_INFO',
    'http://127.0.0.1/a.png',
    'http://localhost/a.png',
    'http://[::1]/a.png',
    'http://0x7f.1/a.png',
    'http://2130706433/a.png',
    'http://017700000001/a.png',
    'http://[::ffff:127.0.0.1]/a.png',
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://10.0.0.1/a.png',
    'http://192.168.1.1/a.png',
    'http://172.16.0.1/a.png',
    'http://100.64.0.1/a.png',
    'http://0.0.0.0/a.png',
    'http://[::]/a.png',
    'http://user:pass@example.com/a.png',
    'javascript:alert(1)',
    'not a url',
  ];
  for (const url of unsafe) add('ssrf', `session from image_url ${url}`, UNSAFE, 'image_url', () => post('/sessions', { image_url: url }));

  // ---- bundles
  const importBundle = (bytes: Uint8Array, type = 'application/gzip') => f.request('/imports', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(bytes) });
  add('bundle', 'import with Content-Type text/plain', M, 'Content-Type', () => importBundle(Buffer.from('x'), 'text/plain'));
  add('bundle', 'import with an empty body', M, 'empty', () => importBundle(Buffer.alloc(0)));
  add('bundle', 'import of random bytes', ['INTEGRITY', 'VALIDATION'], 'bundle', () => importBundle(Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256))));
  add('bundle', 'import of gzip of garbage', ['INTEGRITY', 'VALIDATION'], 'bundle', () => importBundle(gzipSync(Buffer.from('garbage'.repeat(100)))));
  add('bundle', 'import of a tar with ../evil', ['INTEGRITY', 'VALIDATION'], 'evil', () => importBundle(rawTar([{ name: '../evil', body: 'x' }])));
  add('bundle', 'import of a tar with a symlink', ['INTEGRITY', 'VALIDATION'], 'SymbolicLink', () => importBundle(rawTar([{ name: 'manifest.json', type: '2', linkname: '/etc/passwd' }])));
  add('bundle', 'import of a tar without a manifest', ['INTEGRITY', 'VALIDATION'], 'manifest', () => importBundle(rawTar([{ name: 'notes.txt', body: 'x' }])));
  add('bundle', 'import of a manifest that is not JSON', ['INTEGRITY', 'VALIDATION'], 'manifest', () => importBundle(rawTar([{ name: 'manifest.json', body: '{' }])));
  add('bundle', 'import over the size limit', ['TOO_LARGE'], 'bundle', () => importBundle(Buffer.alloc(HTTP_LIMITS.maxBundleBytes + 1)));
  add('bundle', 'import of a tar bomb (declared 1 TB)', ['INTEGRITY', 'VALIDATION', 'TOO_LARGE'], 'bundle', () => importBundle(rawTar([{ name: 'manifest.json', body: '{}', declaredSize: 1024 ** 4 }])));
  const exported = await f.request(`/sessions/${sid}/export`);
  const bundle = Buffer.from(await exported.arrayBuffer());
  add('bundle', 'import of a bundle cut in half', ['INTEGRITY', 'VALIDATION'], 'bundle', () => importBundle(bundle.subarray(0, bundle.length >> 1)));
  return cases;
}
