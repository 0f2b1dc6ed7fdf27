import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { x as extractTar } from 'tar';
import { manifestDigest } from '../../../../src/engine/bundle/index.js';
import type { BadInputCase } from './BadInputCase.js';
import { BAD_PARAM_VALUES, show, UNKNOWN_FIELDS } from './badValues.js';
import type { LibraryFixture } from './libraryFixture.js';
import { rawTar, type RawTarEntry } from './rawTar.js';

export interface LibraryCase extends BadInputCase {
  run: () => Promise<unknown>;
}

const V = ['VALIDATION'] as const;
const NF = ['NOT_FOUND'] as const;
const BUNDLE = ['VALIDATION', 'INTEGRITY', 'NOT_FOUND'] as const;

/**
 * The library part of the bad-input corpus: every entry point a caller can feed
 * (sessions, edits, navigation, branches, picks, replay, what-if, export/import), each with
 * the inputs a careless or hostile caller sends. `as never` marks values TypeScript would
 * refuse: JavaScript callers (and JSON bodies) can still send them.
 */
export async function libraryCases(f: LibraryFixture): Promise<LibraryCase[]> {
  const { engine, session } = f;
  const sid = session.id;
  const cases: LibraryCase[] = [];
  const add = (group: string, name: string, codes: readonly string[], names: string, run: () => Promise<unknown>) =>
    cases.push({ surface: 'library', group, name, codes, names, run });

  // ---- request parameters, through every entry point that takes them
  for (const [field, values] of Object.entries(BAD_PARAM_VALUES)) {
    for (const value of values) {
      const params = { [field]: value } as never;
      add('params', `edit ${field}=${show(value)}`, V, field, () => engine.edit(sid, 'make it red', params));
      add('params', `startSession params.${field}=${show(value)}`, V, field, () => engine.startSession({ image: { path: f.files.image }, params }));
    }
    const value = values[0];
    add('params', `updateSession params.${field}=${show(value)}`, V, field, () => engine.updateSession(sid, { params: { [field]: value } as never }));
    add('params', `whatIf params.${field}=${show(value)}`, V, field, () => engine.whatIf(sid, f.second.id, { params: { [field]: value } as never }));
  }
  for (const field of UNKNOWN_FIELDS) {
    add('unknown field', `edit with unknown field ${JSON.stringify(field)}`, V, field.trim() || field, () => engine.edit(sid, 'make it red', { [field]: 1 } as never));
    add('unknown field', `startSession with unknown param ${JSON.stringify(field)}`, V, field.trim() || field, () => engine.startSession({ image: { path: f.files.image }, params: { [field]: 1 } as never }));
  }
  add('unknown field', 'edit with image_url among the params', V, 'image_url', () => engine.edit(sid, 'make it red', { image_url: 'https://example.com/x.png' } as never));
  add('unknown field', 'edit with a __proto__ key (JSON body)', V, '__proto__', () => engine.edit(sid, 'make it red', JSON.parse('{"__proto__": {"polluted": true}}') as never));
  add('params', 'edit with params that are not an object', V, 'params', () => engine.edit(sid, 'make it red', 'seed=1' as never));
  add('params', 'edit with params = null', V, 'params', () => engine.edit(sid, 'make it red', null as never));
  add('params', 'edit with params = an array', V, 'params', () => engine.edit(sid, 'make it red', [1, 2] as never));

  // ---- prompts
  const prompts: [string, unknown][] = [
    ['empty', ''],
    ['blank', '   '],
    ['only newlines and tabs', '\n\t\r\n'],
    ['10,001 characters', 'x'.repeat(10_001)],
    ['1 MB', 'y'.repeat(1_000_000)],
    ['a number', 42],
    ['null', null],
    ['only invisible format characters', '\u200b\u200d\u2060\ufeff'],
    ['an object', { text: 'make it red' }],
    ['an array', ['make', 'it', 'red']],
  ];
  for (const [name, prompt] of prompts) {
    add('prompt', `edit with a prompt that is ${name}`, V, 'prompt', () => engine.edit(sid, prompt as never));
    add('prompt', `startSession from a prompt that is ${name}`, V, 'prompt', () => engine.startSession({ prompt: prompt as never }));
    add('prompt', `whatIf with a prompt that is ${name}`, V, 'prompt', () => engine.whatIf(sid, f.second.id, { prompt: prompt as never }));
  }

  // ---- images to start from (the fixture's engine reads local files; `f.defaults` is the library's defaults)
  const png = readFileSync(f.files.image);
  const bytes = (b: Buffer) => ({ bytes: b });
  const images: [string, unknown][] = [
    ['a truncated PNG', bytes(png.subarray(0, Math.floor(png.length / 2)))],
    ['a PNG signature and nothing else', bytes(png.subarray(0, 8))],
    ['a JPEG header and garbage', bytes(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]))],
    ['a GIF header and garbage', bytes(Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100, 1)]))],
    ['random bytes', bytes(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))],
    ['zero bytes', bytes(Buffer.alloc(0))],
    ['text', bytes(Buffer.from('hello, this is not an image'))],
    ['an HTML page', bytes(Buffer.from('<!doctype html><html><body>hi</body></html>'))],
    ['a PDF', bytes(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'))],
    ['an SVG', bytes(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'))],
    ['an ELF executable', bytes(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]))],
    ['bytes that are a string', { bytes: 'iVBORw0KGgo=' }],
    ['bytes that are an ArrayBuffer', { bytes: new ArrayBuffer(8) }],
    ['bytes with a contentType that is not a string', { bytes: png, contentType: 7 }],
    ['a data URI of text', { dataUri: 'data:text/plain;base64,aGVsbG8=' }],
    ['a data URI claiming PNG over text', { dataUri: 'data:image/png;base64,aGVsbG8gd29ybGQ=' }],
    ['a data URI without a comma', { dataUri: 'data:image/png;base64' }],
    ['a dataUri that is a URL', { dataUri: 'https://example.com/x.png' }],
    ['a data URI over the size limit', { dataUri: `data:image/png;base64,${readFileSync(f.files.oversized).toString('base64')}` }],
    ['a file path that does not exist', { path: f.files.missing }],
    ['a folder', { path: f.files.folder }],
    ['a text file', { path: f.files.text }],
    ['/etc/passwd by traversal', { path: '../../../../../../../../etc/passwd' }],
    ['/dev/zero', { path: '/dev/zero' }],
    ['an empty path', { path: '' }],
    ['a path that is a number', { path: 7 }],
    ['a file: URL', { url: 'file:///etc/passwd' }],
    ['an ftp: URL', { url: 'ftp://example.com/x.png' }],
    ['a gopher: URL', { url: 'gopher://127.0.0.1:6379/_INFO' }],
    ['a url that is not a URL', { url: 'x' }],
    ['a bare string (a path)', f.files.image],
    ['a bare string (a URL)', 'https://example.com/x.png'],
    ['a bare data URI', 'data:image/png;base64,aGVsbG8='],
    ['an empty string', ''],
    ['bare bytes (a Buffer)', png],
    ['bare bytes (a Uint8Array)', new Uint8Array(png)],
    ['a number', 7],
    ['null', null],
    ['an array', [{ path: f.files.image }]],
    ['an empty object', {}],
    ['an object with none of the keys', { uri: 'https://example.com/x.png' }],
    ['a path and a url', { path: f.files.image, url: 'https://example.com/x.png' }],
    ['bytes and a dataUri', { bytes: png, dataUri: 'data:image/png;base64,aGVsbG8=' }],
    ['a url with an unknown key', { url: 'https://example.com/x.png', headers: { cookie: 'x' } }],
    ['bytes over the size limit', bytes(readFileSync(f.files.oversized))],
    ['a file over the size limit', { path: f.files.oversized }],
  ];
  for (const [name, image] of images) add('image', `startSession from ${name}`, V, 'image', () => engine.startSession({ image: image as never }));
  add('image', 'startSession with both an image and a prompt', V, 'image', () => engine.startSession({ image: { path: f.files.image }, prompt: 'a cat' }));
  add('image', 'startSession with neither an image nor a prompt', V, 'image', () => engine.startSession({}));
  add('image', 'startSession from { path } on an engine without allowLocalFiles', V, 'allowLocalFiles', () => f.defaults.startSession({ image: { path: f.files.image } }));
  // Numeric literals only: the guard judges them without a DNS query, and refuses before connecting.
  for (const url of ['http://127.0.0.1:9/x.png', 'http://[::1]:9/x.png', 'http://2130706433:9/x.png', 'http://10.0.0.1/x.png', 'http://169.254.169.254/latest/meta-data/']) {
    add('image', `startSession from { url: ${url} } with the default fetcher`, ['UNSAFE_URL'], 'image.url', () => f.defaults.startSession({ image: { url } }));
  }

  // ---- session settings
  add('session', 'startSession with an unknown endpoint', V, 'endpoint', () => engine.startSession({ image: { path: f.files.image }, endpoint: 'fal-ai/flux-pro/kontext/../../admin' }));
  add('session', 'startSession on fal without a key', V, 'provider', () => engine.startSession({ image: { path: f.files.image }, endpoint: 'fal-ai/flux-pro/kontext' }));
  for (const budget of [-1, 1.5, Number.NaN, '100', Number.POSITIVE_INFINITY]) {
    add('session', `startSession with budgetMicros ${show(budget)}`, V, 'budgetMicros', () => engine.startSession({ image: { path: f.files.image }, budgetMicros: budget as never }));
    add('session', `updateSession with budgetMicros ${show(budget)}`, V, 'budgetMicros', () => engine.updateSession(sid, { budgetMicros: budget as never }));
  }
  add('session', 'updateSession with an unknown endpoint', V, 'endpoint', () => engine.updateSession(sid, { endpoint: 'nope/nope' }));
  add('session', 'updateSession of a session that does not exist', NF, 'session', () => engine.updateSession('no-such-session', { title: 'x' }));

  // ---- ids: sessions
  const badIds = ['', 'nope', '../../etc/passwd', "' OR 1=1 --", '%', '_', '%%%%', '____', 'x'.repeat(10_000), 'a\u0000b', '🙂🙂🙂🙂', 'HEAD', '*'];
  for (const id of badIds) {
    add('id', `edit in session ${show(id)}`, NF, 'session', () => engine.edit(id, 'make it red'));
    add('id', `getSession ${show(id)}`, NF, 'session', () => engine.getSession(id));
  }
  add('id', 'deleteSession of a session that does not exist', NF, 'session', () => engine.deleteSession('no-such-session'));
  add('id', 'exportSession of a session that does not exist', NF, 'session', () => engine.exportSession('no-such-session', join(f.dir, 'x.tgz')));

  // ---- ids: turns (as typed after --from, checkout, pick)
  const badRefs = ['', 'nope', 'abc', '../main', 'main/../alt', 'HEAD~99', 'HEAD~1~1', 'HEAD^', '%%%%', '____', '----', 'x'.repeat(5000), "'; drop table turns; --"];
  for (const ref of badRefs) {
    const codes = ['VALIDATION', 'NOT_FOUND'];
    // `HEAD~1~1` is read as the ref `HEAD~1`, one up: the message names what it could not find.
    const named = ref === 'HEAD~1~1' ? 'HEAD~1' : ref.slice(0, 20);
    add('turn ref', `edit from ${show(ref)}`, codes, ref === '' ? 'from' : named, () => engine.edit(sid, 'make it red', {}, { from: ref }));
    add('turn ref', `checkout ${show(ref)}`, codes, ref === '' ? 'turn' : named, () => engine.checkout(sid, ref));
  }
  add('turn ref', 'edit from a turn of another session (by full id)', ['VALIDATION', 'NOT_FOUND'], f.other.headTurnId!, () => engine.edit(sid, 'make it red', {}, { from: f.other.headTurnId! }));
  add('turn ref', 'checkout a turn of another session', ['VALIDATION', 'NOT_FOUND'], f.other.headTurnId!, () => engine.checkout(sid, f.other.headTurnId!));
  add('turn ref', 'createBranch at a turn of another session', ['VALIDATION', 'NOT_FOUND'], f.other.headTurnId!, () => engine.createBranch(sid, 'stolen', f.other.headTurnId!));
  add('turn ref', 'pick on a turn that does not exist', NF, 'turn', () => engine.pick('no-such-turn', 0));
  add('turn ref', 'cancel a turn that does not exist', NF, 'turn', () => engine.cancel('no-such-turn'));
  add('turn ref', 'cancel a finished turn', ['CONFLICT'], f.second.id, () => engine.cancel(f.second.id));
  add('turn ref', 'path of a turn that does not exist', NF, 'turn', () => engine.path('no-such-turn'));

  // ---- candidates
  for (const index of [-1, 2, 99, 1.5, Number.NaN, '0', null]) {
    add('candidate', `pick candidate ${show(index)}`, V, 'candidate', () => engine.pick(f.first.id, index as never));
    // An edit's candidate of null means "not given" (the parent's picked output), as in a JSON body.
    if (index !== null) add('candidate', `edit from candidate ${show(index)}`, V, 'candidate', () => engine.edit(sid, 'make it red', {}, { from: f.first.id, candidate: index as never }));
  }

  // ---- endpoints per edit
  add('endpoint', 'edit on an unknown endpoint', V, 'endpoint', () => engine.edit(sid, 'make it red', {}, { endpoint: 'nope/nope' }));
  add('endpoint', 'edit on a text-to-image endpoint', V, 'endpoint', () => engine.edit(sid, 'make it red', {}, { endpoint: 'local/kontext-sim/text-to-image' }));
  add('endpoint', 'edit on an endpoint of an unconfigured provider', V, 'provider', () => engine.edit(sid, 'make it red', {}, { endpoint: 'fal-ai/flux-pro/kontext/max' }));

  // ---- branch names (path traversal and friends)
  const badNames = ['', '../x', 'a/../b', '..', '/abs', 'x/', 'x.', '.hidden', '-dash', 'a b', 'tab\tname', 'new\nline', 'nul\u0000byte', 'x'.repeat(101), 'back\\slash', 'a..b', 'ünïcode', 'semi;colon', 'HEAD', 'HEAD~2', 'HEAD^', f.second.id.slice(0, 6), f.second.id];
  for (const name of badNames) {
    add('branch name', `createBranch ${show(name)}`, V, 'branch', () => engine.createBranch(sid, name));
    add('branch name', `renameBranch alt → ${show(name)}`, V, 'branch', () => engine.renameBranch(sid, 'alt', name));
    add('branch name', `replay into branch ${show(name)}`, V, 'branch', () => engine.replay(sid, { to: f.second.id, branch: name }));
  }
  add('branch name', 'createBranch that exists', ['CONFLICT'], 'alt', () => engine.createBranch(sid, 'alt'));
  add('branch name', 'renameBranch onto an existing name', ['CONFLICT'], 'main', () => engine.renameBranch(sid, 'alt', 'main'));
  add('branch name', 'renameBranch of a branch that does not exist', NF, 'nope', () => engine.renameBranch(sid, 'nope', 'fine'));
  add('branch name', 'deleteBranch of a branch that does not exist', NF, 'nope', () => engine.deleteBranch(sid, 'nope'));
  add('branch name', 'createBranch at a turn that does not exist', NF, 'nope', () => engine.createBranch(sid, 'fine', 'nope'));
  add('branch name', 'replay into an existing branch', V, 'branch', () => engine.replay(sid, { to: f.second.id, branch: 'alt' }));

  // ---- replay and what-if
  add('replay', 'replay with an unknown mode', V, 'mode', () => engine.replay(sid, { mode: 'sideways' as never }));
  add('replay', 'replay to a turn that does not exist', NF, 'nope', () => engine.replay(sid, { to: 'nope' }));
  add('what-if', 'whatIf with no change', V, 'prompt', () => engine.whatIf(sid, f.second.id, {}));
  add('what-if', 'whatIf on the root', V, 'turn', () => engine.whatIf(sid, f.root.id, { prompt: 'x' }));
  add('what-if', 'whatIf on a turn that does not exist', NF, 'nope', () => engine.whatIf(sid, 'nope', { prompt: 'x' }));

  // ---- undo/redo at the ends
  add('navigation', 'redo with nothing undone', ['CONFLICT'], 'redo', () => engine.redo(sid));

  // ---- bundles
  const stage = join(f.dir, 'bundle-stage');
  mkdirSync(stage);
  await extractTar({ file: f.bundle, cwd: stage });
  const manifestText = readFileSync(join(stage, 'manifest.json'), 'utf8');
  const manifest = JSON.parse(manifestText) as Record<string, unknown> & { turns: Record<string, unknown>[]; blobs: { hash: string }[]; session: Record<string, unknown> };
  const blobEntries: RawTarEntry[] = manifest.blobs.map((b) => ({ name: `blobs/${b.hash}`, body: readFileSync(join(stage, 'blobs', b.hash)) }));
  const bundleFile = (name: string, bytes: Buffer) => {
    const file = join(f.dir, `bad-${name}.tgz`);
    writeFileSync(file, bytes);
    return file;
  };
  // Edits are resealed (the digest recomputed) as a forger would, so the rules behind the digest are what is tested.
  const resealed = (m: Record<string, unknown>) => JSON.stringify({ ...m, digest: manifestDigest(m) });
  const withManifest = (name: string, change: (m: typeof manifest) => unknown) =>
    bundleFile(name, rawTar([{ name: 'manifest.json', body: resealed(change(structuredClone(manifest)) as Record<string, unknown>) }, ...blobEntries]));
  const manifestAnd = (name: string, change: (m: typeof manifest & Record<string, any>) => void) => withManifest(name, (m) => (change(m), m));
  const notAnImage = Buffer.from('not an image, but named by its own sha256');
  const notAnImageHash = createHash('sha256').update(notAnImage).digest('hex');
  const good = readFileSync(f.bundle);
  const bundles: [string, string, readonly string[], string][] = [
    ['a file that does not exist', join(f.dir, 'nope.tgz'), NF, 'nope.tgz'],
    ['an empty file', bundleFile('empty', Buffer.alloc(0)), BUNDLE, 'bundle'],
    ['random bytes', bundleFile('random', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256))), BUNDLE, 'bundle'],
    ['gzip of random bytes', bundleFile('gzip-random', gzipSync(Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256)))), BUNDLE, 'bundle'],
    ['a bundle cut in half', bundleFile('truncated', good.subarray(0, Math.floor(good.length / 2))), BUNDLE, 'bundle'],
    ['no manifest', bundleFile('no-manifest', rawTar(blobEntries)), BUNDLE, 'manifest'],
    ['a manifest that is not JSON', bundleFile('manifest-not-json', rawTar([{ name: 'manifest.json', body: '{not json' }, ...blobEntries])), BUNDLE, 'manifest'],
    ['a manifest of another format', withManifest('format', (m) => ({ ...m, format: 'zip-of-cats' })), BUNDLE, 'format'],
    ['a manifest from a newer version', withManifest('version', (m) => ({ ...m, version: 99 })), BUNDLE, 'version'],
    ['a manifest missing its turns', withManifest('no-turns', (m) => ({ ...m, turns: undefined })), BUNDLE, 'turns'],
    ['a turn whose parent is missing', withManifest('orphan', (m) => ({ ...m, turns: m.turns.map((t, i) => (i === m.turns.length - 1 ? { ...t, parentId: 'ghost-parent' } : t)) })), BUNDLE, 'parentId'],
    ['a turn of another session', withManifest('foreign-turn', (m) => ({ ...m, turns: m.turns.map((t, i) => (i === 1 ? { ...t, sessionId: 'someone-else' } : t)) })), BUNDLE, 'sessionId'],
    ['a turn listed twice', withManifest('twice', (m) => ({ ...m, turns: [...m.turns, m.turns[1]] })), BUNDLE, 'twice'],
    ['a blob whose bytes do not match its name', bundleFile('tampered', rawTar([{ name: 'manifest.json', body: manifestText }, ...blobEntries.map((e, i) => (i === 0 ? { ...e, body: Buffer.from('tampered') } : e))])), BUNDLE, 'blob'],
    ['a missing blob', bundleFile('missing-blob', rawTar([{ name: 'manifest.json', body: manifestText }, ...blobEntries.slice(1)])), BUNDLE, 'image'],
    ['an entry named ../evil', bundleFile('dotdot', rawTar([{ name: 'manifest.json', body: manifestText }, { name: '../evil', body: 'x' }, ...blobEntries])), BUNDLE, '../evil'],
    ['an entry named blobs/../../evil', bundleFile('dotdot-blobs', rawTar([{ name: 'manifest.json', body: manifestText }, { name: 'blobs/../../evil', body: 'x' }, ...blobEntries])), BUNDLE, 'evil'],
    ['an absolute entry name', bundleFile('absolute', rawTar([{ name: 'manifest.json', body: manifestText }, { name: '/tmp/kontext-evil', body: 'x' }, ...blobEntries])), BUNDLE, 'kontext-evil'],
    ['a symlink entry', bundleFile('symlink', rawTar([{ name: 'manifest.json', body: manifestText }, { name: `blobs/${'a'.repeat(64)}`, type: '2', linkname: '/etc/passwd' }, ...blobEntries])), BUNDLE, 'SymbolicLink'],
    ['a hard link entry', bundleFile('hardlink', rawTar([{ name: 'manifest.json', body: manifestText }, { name: `blobs/${'b'.repeat(64)}`, type: '1', linkname: '/etc/passwd' }, ...blobEntries])), BUNDLE, 'Link'],
    ['a manifest twice', bundleFile('two-manifests', rawTar([{ name: 'manifest.json', body: manifestText }, { name: 'manifest.json', body: manifestText }, ...blobEntries])), BUNDLE, 'manifest'],
    ['a branch named a b/../..', manifestAnd('branch-traversal', (m) => void (m.refs[0].name = 'a b/../..')), BUNDLE, 'refs.0.name'],
    ['a branch named HEAD', manifestAnd('branch-head', (m) => void (m.refs[0].name = 'HEAD')), BUNDLE, 'refs.0.name'],
    ['a branch named as the start of a turn id', manifestAnd('branch-id-prefix', (m) => void (m.refs[0].name = String(m.turns[1]!.id).slice(0, 6))), BUNDLE, 'refs.0.name'],
    ['a headRef naming no branch', manifestAnd('head-ref', (m) => void (m.session.headRef = 'nowhere')), BUNDLE, 'session.headRef'],
    ['a redoStack with an unknown turn', manifestAnd('redo-stack', (m) => void (m.session.redoStack = ['unknownturn1'])), BUNDLE, 'session.redoStack.0'],
    ['selectedOutput 7 on a turn with one output', manifestAnd('selected-output', (m) => void (m.turns[1]!.selectedOutput = 7)), BUNDLE, 'turns.1.selectedOutput'],
    ['costMicros -999999999', manifestAnd('negative-cost', (m) => void (m.turns[1]!.costMicros = -999_999_999)), BUNDLE, 'turns.1.costMicros'],
    ['an endpoint this engine does not know', manifestAnd('unknown-endpoint', (m) => void (m.turns[1]!.endpointId = 'someone/unknown-model')), BUNDLE, 'someone/unknown-model'],
    ['a blob whose hash matches but is not an image', bundleFile('not-an-image', rawTar([
      { name: 'manifest.json', body: resealed({ ...manifest, blobs: [...manifest.blobs, { ...manifest.blobs[0], hash: notAnImageHash, size: notAnImage.length }], turns: manifest.turns.map((t, i) => (i === 1 ? { ...t, inputBlob: notAnImageHash } : t)) }) },
      ...blobEntries,
      { name: `blobs/${notAnImageHash}`, body: notAnImage },
    ])), BUNDLE, notAnImageHash],
    ['a prompt edited after export (digest not matching)', bundleFile('edited-prompt', rawTar([{ name: 'manifest.json', body: JSON.stringify({ ...manifest, turns: manifest.turns.map((t, i) => (i === 1 ? { ...t, prompt: 'something else' } : t)) }) }, ...blobEntries])), BUNDLE, 'changed after export'],
    ['a current-version manifest without its digest', bundleFile('no-digest', rawTar([{ name: 'manifest.json', body: JSON.stringify({ ...manifest, digest: undefined }) }, ...blobEntries])), BUNDLE, 'digest'],
    ['an entry that claims 1 TB', bundleFile('huge-size', rawTar([{ name: 'manifest.json', body: manifestText, declaredSize: 1024 ** 4 }])), BUNDLE, 'bundle'],
  ];
  for (const [name, file, codes, names] of bundles) add('bundle', `importBundle of ${name}`, codes, names, () => engine.importBundle(file));
  add('bundle', 'importBundle over its size limit', V, 'maxBytes', () => engine.importBundle(f.bundle, { maxBytes: 100 }));
  return cases;
}
