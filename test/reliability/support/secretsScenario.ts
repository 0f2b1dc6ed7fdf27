import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { openEngine } from '../../../src/engine/openEngine.js';
import { createFalProvider } from '../../../src/providers/fal/index.js';
import { createServer } from '../../../src/server/index.js';
import { startFalTestServer, type FalTestServer } from '../../support/falTestServer.js';
import { testImage } from '../../support/images.js';
import { runCli } from '../../cli/support/cli.js';
import { cliBuilt } from './badInput/cliFixture.js';
import { SecretScanner } from './secretScan.js';

/** A recognisable fal key: `<key id>:<secret>`. */
export const SECRET_KEY = 'fal-SECRET-kontext-4242:deadbeefcafe';
export const SECRET_HALF = SECRET_KEY.slice(SECRET_KEY.indexOf(':') + 1);

export interface SecretsOutcome {
  scanner: SecretScanner;
  turnsByStatus: Record<string, number>;
  errorCodes: string[];
  cliRuns: number;
  /** False when the CLI is not built; its part was skipped. */
  cli: boolean;
  httpResponses: number;
  filesScanned: number;
  /** Requests that reached the fal test server with the key (proof the key was in use), and answers that echoed it. */
  keyedRequests: number;
  echoes: number;
  /** The run's folder: remove it when done. */
  dir: string;
}

const fenv = (server: FalTestServer) => ({ FAL_KEY: SECRET_KEY, FAL_QUEUE_URL: server.queueUrl, FAL_RUN_URL: server.runUrl, FAL_STORAGE_URL: server.storageUrl });
/** What a careless proxy sends back: the Authorization header it was given. */
const echo = `upstream refused the request; it carried Authorization: Key ${SECRET_KEY} (secret ${SECRET_HALF})`;

/**
 * A whole session with failures against the fal test server, configured to accept the key,
 * then everything the system kept or said is handed to a scanner: the database file (and its
 * WAL), the archive, an export, engine events, every error (message, JSON and util.inspect
 * with causes), HTTP answers and the server log, and the output of `kontext` runs. The
 * failures are chosen so that the key comes back in error bodies, as from a misbehaving proxy.
 */
export async function runSecretsScenario(options: { cliRuns: 'all' | 'few' }): Promise<SecretsOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'kontext-secrets-'));
  const scanner = new SecretScanner([SECRET_KEY, SECRET_HALF]);
  const fal = await startFalTestServer({ key: SECRET_KEY, queueMs: 0, inProgressMs: 30, logIntervalMs: 10 });
  // A second server that knows another key: it answers 401 and echoes the key it was sent.
  const stranger = await startFalTestServer({ key: 'some-other-key:0000000000', queueMs: 0, inProgressMs: 30 });
  const dataDir = join(dir, 'data');
  const errors: unknown[] = [];
  const errorCodes: string[] = [];
  let cliRuns = 0;
  let httpResponses = 0;
  let echoes = 0;
  const fast = { submitRetry: { baseDelayMs: 5, maxDelayMs: 20 }, readRetry: { baseDelayMs: 5, maxDelayMs: 20 }, maxRetryAfterMs: 50, pollIntervalMs: 10, responseTimeoutMs: 2_000 };
  const opened = openEngine({ dataDir, provider: 'fal', env: fenv(fal), fal: { ...fast, inlineMaxBytes: 0 }, allowLocalFiles: true });
  const { engine } = opened;
  const events: unknown[] = [];
  engine.events.subscribe((e) => events.push(e));
  try {
    const image = join(dir, 'start.png');
    writeFileSync(image, await testImage());
    const session = await engine.startSession({ image: { path: image }, title: 'secret hunting' });
    const edit = async (prompt: string, ...faults: Parameters<FalTestServer['faults']['push']>) => {
      fal.faults.push(...faults);
      echoes += faults.filter((f) => JSON.stringify(f).includes(SECRET_HALF)).length;
      const turn = await engine.edit(session.id, prompt, { seed: prompt.length }, { memo: 'never' });
      if (turn.errorCode) errorCodes.push(turn.errorCode);
      fal.faults.length = 0;
      return turn;
    };
    await edit('make it red');
    await edit('submit answered 500 with the key echoed', { on: 'submit', kind: 'status', status: 500, body: { detail: echo } });
    await edit('the job fails with the key in its detail', { on: 'job', kind: 'fail', status: 500, detail: echo });
    await edit('result 503 with the key, then served', { on: 'result', kind: 'status', status: 503, body: { detail: echo } });
    await edit('stream refused with the key, then polled', { on: 'stream', kind: 'status', status: 500, body: { detail: echo } });
    await edit('status polls answer 502 with the key', { on: 'stream', kind: 'status', status: 500 }, { on: 'status', kind: 'status', status: 502, body: { detail: echo }, times: 2 });
    await edit('accepted, then the connection drops', { on: 'submit', kind: 'drop-after-accept' });
    await edit('rate limited with the key every time', { on: 'submit', kind: 'status', status: 429, retryAfter: '0', body: { detail: echo }, times: 10 });
    await edit('the output download fails with the key', { on: 'file', kind: 'status', status: 500, body: { detail: echo }, times: 20 });
    await edit('the upload is refused with the key', { on: 'initiate', kind: 'status', status: 500, body: { detail: echo }, times: 20 });
    await edit('a 401 that echoes the key', { on: 'submit', kind: 'status', status: 401, body: { detail: `Invalid credentials: ${SECRET_KEY}` } });
    await edit('make it night');
    const head = await engine.head(session.id);
    await engine.replay(session.id, { mode: 'fresh', branch: 'fresh-replay' });
    await engine.whatIf(session.id, head!.id, { prompt: 'make it winter' });
    await engine.resume();

    // The library's own errors, thrown rather than recorded, with their whole cause chains.
    const provider = createFalProvider({ ...fast, key: SECRET_KEY, queueUrl: fal.queueUrl, runUrl: fal.runUrl, storageUrl: fal.storageUrl, env: {} });
    const strangerProvider = createFalProvider({ ...fast, key: SECRET_KEY, queueUrl: stranger.queueUrl, runUrl: stranger.runUrl, storageUrl: stranger.storageUrl, env: {} });
    const input = { prompt: 'x', image_url: `data:image/png;base64,${(await testImage(8, 8)).toString('base64')}` };
    const attempts: (() => Promise<unknown>)[] = [
      () => strangerProvider.submit('fal-ai/flux-pro/kontext', input),
      () => (fal.faults.push({ on: 'submit', kind: 'status', status: 500, body: { detail: echo } }), provider.submit('fal-ai/flux-pro/kontext', input)),
      () => (fal.faults.push({ on: 'run', kind: 'status', status: 400, body: echo }), provider.run('fal-ai/flux-pro/kontext', input)),
      () => (fal.faults.push({ on: 'submit', kind: 'reset' }), provider.submit('fal-ai/flux-pro/kontext', input)),
      () => provider.wait('fal-ai/flux-pro/kontext', { requestId: 'nope', handle: { statusUrl: `${fal.queueUrl}/fal-ai/flux-pro/requests/nope/status`, responseUrl: `${fal.queueUrl}/fal-ai/flux-pro/requests/nope`, cancelUrl: `${fal.queueUrl}/fal-ai/flux-pro/requests/nope/cancel` } }),
      () => provider.submit('fal-ai/flux-pro/kontext', { ...input, guidance_scale: 99 }),
    ];
    for (const attempt of attempts) {
      try {
        await attempt();
      } catch (error) {
        errors.push(error);
        fal.faults.length = 0;
      }
    }
    scanner.addText('inspect(provider)', inspect(provider, { depth: 8, showHidden: true }));
    scanner.addText('JSON(provider)', safeJson(provider));
    await provider.close();
    await strangerProvider.close();

    // The same engine, now pointed at a server that does not know the key (as after a key rotation).
    const rotated = openEngine({ dataDir, provider: 'fal', env: fenv(stranger), fal: fast });
    rotated.engine.events.subscribe((e) => events.push(e));
    const refused = await rotated.engine.edit(session.id, 'sent to a server that refuses the key', {}, { memo: 'never' });
    if (refused.errorCode) errorCodes.push(refused.errorCode);
    await rotated.close();

    // HTTP: the API's answers and the server's own log.
    const logs: string[] = [];
    const http = createServer(engine, { env: {}, log: (line) => logs.push(line), page: false });
    const ask = async (path: string, init?: RequestInit) => {
      const res = await http.app.request(path, init);
      httpResponses++;
      const headers: string[] = [];
      res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
      scanner.addText(`HTTP ${init?.method ?? 'GET'} ${path}`, `${res.status} ${headers.join('\n')} ${await res.text()}`);
    };
    await ask(`/sessions/${session.id}/tree`);
    await ask(`/sessions/${session.id}`);
    await ask(`/sessions/${session.id}/cost`);
    fal.faults.push({ on: 'submit', kind: 'status', status: 500, body: { detail: echo } });
    await ask(`/sessions/${session.id}/turns?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'over HTTP, refused with the key', memo: 'never' }) });
    fal.faults.length = 0;
    const events$ = await http.app.request(`/sessions/${session.id}/events?after=0`);
    // The event stream never ends by itself: read what history holds, then stop.
    scanner.addText('HTTP events', await readSome(events$, 300));
    httpResponses++;
    await ask(`/sessions/${session.id}/export`);
    http.beginShutdown();
    await http.settleTurns(5_000);
    scanner.addText('server log', logs.join('\n'));

    const bundle = join(dir, 'export.kontext.tgz');
    await engine.exportSession(session.id, bundle);
    scanner.addFile(bundle);

    // The CLI, as a user with FAL_KEY set runs it.
    const cli = cliBuilt();
    if (cli) {
      const db = join(dataDir, 'kontext.db');
      const run = async (args: string[], server: FalTestServer = fal) => {
        const out = await runCli(['--db', db, '--session', session.id, ...args], { cwd: dir, env: { ...process.env, ...fenv(server) } });
        cliRuns++;
        scanner.addText(`kontext ${args.join(' ')} (stdout)`, out.stdout);
        scanner.addText(`kontext ${args.join(' ')} (stderr)`, out.stderr);
      };
      const few: [string[], (() => void)?, FalTestServer?][] = [
        [['edit', 'cli edit refused with the key', '--seed', '5'], () => fal.faults.push({ on: 'submit', kind: 'status', status: 500, body: { detail: echo } })],
        [['--debug', 'edit', 'cli edit, debug, refused with the key', '--seed', '6'], () => fal.faults.push({ on: 'job', kind: 'fail', status: 500, detail: echo })],
        [['edit', 'cli edit to a server that refuses the key', '--seed', '7'], undefined, stranger],
      ];
      const more: [string[], (() => void)?, FalTestServer?][] = [
        [['--json', 'edit', 'cli json edit refused with the key', '--seed', '8'], () => fal.faults.push({ on: 'submit', kind: 'status', status: 422, body: { detail: [{ loc: ['body', 'prompt'], msg: echo, type: 'value_error' }] } })],
        [['log', '--graph', '--all']],
        [['--json', 'log', '--all']],
        [['show', 'HEAD']],
        [['--json', 'show', 'HEAD']],
        [['cost']],
        [['resume']],
        [['export', join(dir, 'cli-export.kontext.tgz')]],
        [['--debug', 'edit', 'cli debug edit, the 401 echo', '--seed', '9'], () => fal.faults.push({ on: 'submit', kind: 'status', status: 401, body: { detail: `Invalid credentials: ${SECRET_KEY}` } })],
        [['--debug', '--json', 'edit', 'cli debug json to the stranger', '--seed', '10'], undefined, stranger],
      ];
      for (const [args, before, server] of options.cliRuns === 'all' ? [...few, ...more] : few) {
        before?.();
        await run(args, server);
        fal.faults.length = 0;
      }
      scanner.addFile(join(dir, 'cli-export.kontext.tgz'));
    }

    const turns = (await engine.tree(session.id)).turns;
    const turnsByStatus: Record<string, number> = {};
    for (const t of turns) turnsByStatus[t.status] = (turnsByStatus[t.status] ?? 0) + 1;
    for (const t of turns) if (t.errorCode) scanner.addText(`turn ${t.id} error`, `${t.errorCode} ${t.errorMessage} ${JSON.stringify(t.errorDetail)}`);
    for (const [i, error] of errors.entries()) {
      scanner.addText(`error ${i} message`, (error as Error).message ?? String(error));
      scanner.addText(`error ${i} inspect`, inspect(error, { depth: 20, showHidden: true }));
      scanner.addText(`error ${i} JSON`, safeJson(error));
      scanner.addText(`error ${i} stack`, causeChain(error));
      errorCodes.push(String((error as { code?: unknown }).code));
    }
    scanner.addText('engine events', JSON.stringify(events));
    // The database, its WAL and shared memory while the engine still has them open…
    const filesOpen = scanner.addTree(dataDir);
    await opened.close();
    // …and again after close, once SQLite has checkpointed the WAL into the main file.
    const filesClosed = scanner.addTree(dataDir);
    const keyedRequests = fal.requests.filter((r) => r.auth === 'valid').length + stranger.requests.filter((r) => r.auth === 'invalid').length;
    return { scanner, turnsByStatus, errorCodes, cliRuns, cli, httpResponses, filesScanned: filesOpen + filesClosed, keyedRequests, echoes, dir };
  } finally {
    await fal.close();
    await stranger.close();
  }
}

/** Removes the scenario's folder. */
export function removeScenario(outcome: SecretsOutcome): void {
  rmSync(outcome.dir, { recursive: true, force: true });
}

function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[circular]';
        seen.add(v);
      }
      return typeof v === 'function' ? `[function ${(v as { name?: string }).name ?? ''}]` : v;
    });
  } catch (error) {
    return `unserialisable: ${(error as Error).message}`;
  }
}

function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) parts.push(e.stack ?? e.message);
  return parts.join('\ncaused by: ');
}

async function readSome(res: Response, ms: number): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const stop = setTimeout(() => void reader.cancel().catch(() => undefined), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // cancelled
  } finally {
    clearTimeout(stop);
  }
  return text;
}
