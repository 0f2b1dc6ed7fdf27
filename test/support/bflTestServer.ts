import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { nanoid } from 'nanoid';
import sharp from 'sharp';

/**
 * A Black Forest Labs–compatible server for tests, on 127.0.0.1 with random ports: submits
 * (`POST /v1/<model>` with `x-key`), polling (`GET /v1/get_result?id=…`) and the result
 * files (public, no key), which are real small JPEGs made with sharp.
 *
 * It listens twice — a "global" origin that takes submits and a "regional" one (`regionUrl`)
 * that the polling URLs it hands out point at, as api.bfl.ai hands out api.eu.bfl.ai — so a
 * client that rebuilds the polling URL instead of using it as given polls the wrong host.
 * It enforces BFL's account limits (24 active jobs, 6 for flux-kontext-max) with a 429.
 *
 * Tests inject faults (`server.faults.push(...)`) and read what it saw (`server.submissions`,
 * `server.requests`).
 */

export type BflOutcome = 'ready' | 'request-moderated' | 'content-moderated' | 'error' | 'not-found';

export type BflFault =
  /** Answer with this HTTP status (and `Retry-After`), doing nothing else. */
  | { on: 'submit' | 'poll' | 'file'; kind: 'status'; status: number; retryAfter?: string; body?: unknown; times?: number }
  /** Destroy the socket without answering or doing anything. */
  | { on: 'submit' | 'poll'; kind: 'reset'; times?: number }
  /** Accept and record the job, then destroy the socket without answering. */
  | { on: 'submit'; kind: 'drop-after-accept'; times?: number }
  /** The next job ends this way instead of Ready; `hold` keeps it Pending until `release(id)`. */
  | { on: 'job'; kind: 'outcome'; outcome?: BflOutcome; hold?: boolean; times?: number };

export interface BflSubmission {
  id: string;
  model: string;
  body: Record<string, unknown>;
  /** sha256 of each image sent (`input_image`, `input_image_2`, …), in order, as decoded from its base64; null for a URL (never fetched). */
  imageHashes: (string | null)[];
}

export interface BflRequestRecord {
  method: string;
  path: string;
  /** Which listener got it. */
  origin: 'global' | 'region';
  target: 'submit' | 'poll' | 'file' | 'other';
  auth: 'none' | 'valid' | 'invalid';
}

interface Job {
  id: string;
  model: string;
  outcome: BflOutcome;
  hold: boolean;
  /** Polls answered Pending so far; a job is Ready after `pendingPolls` of them. */
  polls: number;
  done: boolean;
  seed: number;
}

export interface BflTestServerOptions {
  key?: string;
  /** Polls a job answers Pending before its outcome. Default 1. */
  pendingPolls?: number;
}

export interface BflTestServer {
  url: string;
  regionUrl: string;
  key: string;
  faults: BflFault[];
  submissions: BflSubmission[];
  requests: BflRequestRecord[];
  /** The most jobs of `model` (or of all models) that were active at once. */
  peakActive(model?: string): number;
  release(id: string): void;
  /** Forget a job, as BFL does after a while: its polls answer `Task not found`. */
  forget(id: string): void;
  fileBytes(url: string): Buffer | undefined;
  /** Options for createBflProvider that point at this server and trust its regional origin. */
  clientOptions(): { key: string; baseUrl: string; pollOrigins: string[]; pollIntervalMs: number; env: Record<string, string> };
  close(): Promise<void>;
}

const LIMITS: Record<string, number> = { 'flux-kontext-max': 6 };
const TOTAL_LIMIT = 24;
const STATUS_WORDS: Record<Exclude<BflOutcome, 'ready'>, string> = {
  'request-moderated': 'Request Moderated',
  'content-moderated': 'Content Moderated',
  error: 'Error',
  'not-found': 'Task not found',
};

export async function startBflTestServer(options: BflTestServerOptions = {}): Promise<BflTestServer> {
  const key = options.key ?? 'bfl-test-key';
  const pendingPolls = options.pendingPolls ?? 1;
  const jobs = new Map<string, Job>();
  const files = new Map<string, Buffer>();
  const faults: BflFault[] = [];
  const submissions: BflSubmission[] = [];
  const requests: BflRequestRecord[] = [];
  const peaks = new Map<string, number>();
  let url = '';
  let regionUrl = '';

  const active = (model?: string) => [...jobs.values()].filter((j) => !j.done && (model === undefined || j.model === model)).length;
  const notePeak = (model: string) => {
    peaks.set(model, Math.max(peaks.get(model) ?? 0, active(model)));
    peaks.set('*', Math.max(peaks.get('*') ?? 0, active()));
  };
  const takeFault = <K extends BflFault['kind']>(on: string, kinds: readonly K[]): Extract<BflFault, { kind: K }> | undefined => {
    const at = faults.findIndex((f) => f.on === on && (kinds as readonly string[]).includes(f.kind));
    if (at < 0) return undefined;
    const fault = faults[at]!;
    if (fault.times === undefined || fault.times <= 1) faults.splice(at, 1);
    else fault.times--;
    return fault as Extract<BflFault, { kind: K }>;
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const handle = (origin: 'global' | 'region') => async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const given = req.headers['x-key'];
    const auth = given === undefined ? 'none' : given === key ? 'valid' : 'invalid';
    const target = req.method === 'POST' && path.startsWith('/v1/') ? 'submit' : path === '/v1/get_result' ? 'poll' : path.startsWith('/files/') ? 'file' : 'other';
    requests.push({ method: req.method ?? '', path, origin, target, auth });

    if (target === 'file') {
      const failure = takeFault('file', ['status'] as const);
      if (failure) return json(res, failure.status, failure.body ?? { detail: 'injected' });
      const bytes = files.get(path);
      if (!bytes) return json(res, 404, { detail: 'expired' });
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) }).end(bytes);
      return;
    }
    if (target === 'other') return json(res, 404, { detail: 'Not Found' });
    if (auth !== 'valid') return json(res, 403, { detail: 'Not authenticated - Invalid Authentication' });

    const fault = takeFault(target, ['status', 'reset', 'drop-after-accept'] as const);
    if (fault?.kind === 'status') return json(res, fault.status, fault.body ?? { detail: 'injected' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    if (fault?.kind === 'reset') return void req.socket.destroy();

    if (target === 'submit') {
      if (origin !== 'global') return json(res, 404, { detail: 'submit to the global host' });
      const model = path.slice('/v1/'.length);
      const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      if (typeof body.prompt !== 'string') return json(res, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'Field required', type: 'missing' }] });
      if (active() >= TOTAL_LIMIT || active(model) >= (LIMITS[model] ?? TOTAL_LIMIT)) {
        return json(res, 429, { detail: `You have reached the maximum number of active tasks for ${model}` }, { 'retry-after': '1' });
      }
      const shaped = takeFault('job', ['outcome'] as const);
      const id = nanoid();
      jobs.set(id, { id, model, outcome: shaped?.outcome ?? 'ready', hold: shaped?.hold ?? false, polls: 0, done: false, seed: typeof body.seed === 'number' ? body.seed : 42 });
      submissions.push({ id, model, body, imageHashes: bflImageHashes(body) });
      notePeak(model);
      if (fault?.kind === 'drop-after-accept') return void req.socket.destroy();
      return json(res, 200, { id, polling_url: `${regionUrl}/v1/get_result?id=${id}`, cost: 4 });
    }

    // poll
    const job = jobs.get(query.get('id') ?? '');
    if (!job) return json(res, 200, { id: query.get('id'), status: 'Task not found' });
    if (job.hold || job.polls < pendingPolls) {
      job.polls++;
      return json(res, 200, { id: job.id, status: 'Pending', result: null, progress: 0.5 });
    }
    job.done = true;
    if (job.outcome !== 'ready') return json(res, 200, { id: job.id, status: STATUS_WORDS[job.outcome], result: null, details: { reason: `injected ${job.outcome}` } });
    const filePath = `/files/${job.id}.jpeg`;
    if (!files.has(filePath)) files.set(filePath, await imageFor(submissions.length + files.size));
    return json(res, 200, { id: job.id, status: 'Ready', result: { sample: `${regionUrl}${filePath}?se=signed`, seed: job.seed, prompt: 'as sent', start_time: 1, end_time: 3 } });
  };

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const global = createServer((req, res) => void handle('global')(req, res).catch(() => res.destroy()));
  const region = createServer((req, res) => void handle('region')(req, res).catch(() => res.destroy()));
  url = await listen(global);
  regionUrl = await listen(region);

  return {
    url,
    regionUrl,
    key,
    faults,
    submissions,
    requests,
    peakActive: (model) => peaks.get(model ?? '*') ?? 0,
    release(id) {
      const job = jobs.get(id);
      if (job) job.hold = false;
    },
    forget(id) {
      jobs.delete(id);
    },
    fileBytes(fileUrl) {
      return files.get(new URL(fileUrl).pathname);
    },
    clientOptions: () => ({ key, baseUrl: url, pollOrigins: [regionUrl], pollIntervalMs: 5, env: {} }),
    async close() {
      for (const server of [global, region]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

/** A distinct small JPEG per job, so chained inputs can be told apart by their bytes. */
async function imageFor(n: number): Promise<Buffer> {
  const channel = (k: number) => (n * k * 37) % 256;
  return sharp({ create: { width: 32, height: 24, channels: 3, background: { r: channel(1), g: channel(3), b: channel(7) } } }).jpeg().toBuffer();
}

/** The images of a BFL body in order (`input_image`, then `input_image_2` onwards), each hashed from its base64. */
function bflImageHashes(body: Record<string, unknown>): (string | null)[] {
  const fields = ['input_image', ...Array.from({ length: 9 }, (_, i) => `input_image_${i + 2}`)];
  return fields
    .map((field) => body[field])
    .filter((value): value is string => typeof value === 'string')
    .map((value) => (/^https?:/i.test(value) ? null : createHash('sha256').update(Buffer.from(value, 'base64')).digest('hex')));
}
