import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nanoid } from 'nanoid';
import { isDataUri, parseDataUri } from '../../src/util/dataUri.js';
import sharp from 'sharp';

/**
 * A Replicate-compatible server for tests, on 127.0.0.1 with a random port: the predictions
 * API under `/v1` (`POST /v1/models/<owner>/<name>/predictions` honouring `Prefer: wait=N`
 * and recording `Cancel-After`, `GET /v1/predictions/<id>`, `POST /v1/predictions/<id>/cancel`)
 * and the output files (public, no token), real small JPEGs made with sharp.
 *
 * Tests inject faults (`server.faults.push(...)`) and read what it saw (`server.submissions`,
 * `server.requests`).
 */

export type ReplicateFault =
  | { on: 'submit' | 'get' | 'cancel' | 'file'; kind: 'status'; status: number; retryAfter?: string; body?: unknown; times?: number }
  | { on: 'submit'; kind: 'drop-after-accept'; times?: number }
  /** The next prediction fails with this error, or is held `processing` until `release(id)`. */
  | { on: 'job'; kind: 'outcome'; fail?: string; hold?: boolean; times?: number };

export interface ReplicateSubmission {
  id: string;
  model: string;
  body: { input: Record<string, unknown>; [key: string]: unknown };
  headers: { prefer?: string; cancelAfter?: string };
  /** sha256 of each image the input carried (`input_image`, or every `input_images` entry), in order, decoded from its data URI; null for a URL (never fetched). */
  imageHashes: (string | null)[];
}

export interface ReplicateRequestRecord {
  method: string;
  path: string;
  target: 'submit' | 'get' | 'cancel' | 'file' | 'other';
  auth: 'none' | 'valid' | 'invalid';
}

interface Prediction {
  id: string;
  model: string;
  input: Record<string, unknown>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  gets: number;
  hold: boolean;
  fail: string | undefined;
  output: string | undefined;
}

export interface ReplicateTestServer {
  /** The API base, `http://127.0.0.1:<port>/v1`. */
  url: string;
  key: string;
  faults: ReplicateFault[];
  submissions: ReplicateSubmission[];
  requests: ReplicateRequestRecord[];
  release(id: string): void;
  forget(id: string): void;
  fileBytes(url: string): Buffer | undefined;
  clientOptions(): { key: string; baseUrl: string; pollIntervalMs: number; preferWaitSeconds: number; env: Record<string, string> };
  close(): Promise<void>;
}

export async function startReplicateTestServer(options: { key?: string; pendingGets?: number } = {}): Promise<ReplicateTestServer> {
  const key = options.key ?? 'r8_test_token_0123456789';
  const pendingGets = options.pendingGets ?? 1;
  const predictions = new Map<string, Prediction>();
  const files = new Map<string, Buffer>();
  const faults: ReplicateFault[] = [];
  const submissions: ReplicateSubmission[] = [];
  const requests: ReplicateRequestRecord[] = [];
  let origin = '';

  const takeFault = <K extends ReplicateFault['kind']>(on: string, kinds: readonly K[]): Extract<ReplicateFault, { kind: K }> | undefined => {
    const at = faults.findIndex((f) => f.on === on && (kinds as readonly string[]).includes(f.kind));
    if (at < 0) return undefined;
    const fault = faults[at]!;
    if (fault.times === undefined || fault.times <= 1) faults.splice(at, 1);
    else fault.times--;
    return fault as Extract<ReplicateFault, { kind: K }>;
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  const view = (p: Prediction) => ({
    id: p.id,
    model: p.model,
    version: 'hidden',
    input: p.input,
    status: p.status,
    output: p.status === 'succeeded' ? p.output : null,
    error: p.status === 'failed' ? p.fail : null,
    logs: '',
    urls: { get: `${origin}/v1/predictions/${p.id}`, cancel: `${origin}/v1/predictions/${p.id}/cancel`, web: `https://replicate.invalid/p/${p.id}` },
  });
  /** Moves a prediction on by one step, as time passing on Replicate would. */
  const advance = async (p: Prediction) => {
    if (p.status === 'succeeded' || p.status === 'failed' || p.status === 'canceled') return;
    if (p.hold || p.gets < pendingGets) {
      p.gets++;
      p.status = 'processing';
      return;
    }
    if (p.fail !== undefined) {
      p.status = 'failed';
      return;
    }
    const path = `/files/${p.id}.jpeg`;
    const n = files.size + 1;
    files.set(path, await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: (n * 53) % 256, g: (n * 97) % 256, b: 120 } } }).jpeg().toBuffer());
    p.output = `${origin}${path}`;
    p.status = 'succeeded';
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const authHeader = req.headers.authorization;
    const auth = authHeader === undefined ? 'none' : authHeader === `Bearer ${key}` ? 'valid' : 'invalid';
    const submitMatch = /^\/v1\/models\/([^/]+\/[^/]+)\/predictions$/.exec(path);
    const getMatch = /^\/v1\/predictions\/([^/]+)$/.exec(path);
    const cancelMatch = /^\/v1\/predictions\/([^/]+)\/cancel$/.exec(path);
    const target = req.method === 'POST' && submitMatch ? 'submit' : req.method === 'GET' && getMatch ? 'get' : req.method === 'POST' && cancelMatch ? 'cancel' : path.startsWith('/files/') ? 'file' : 'other';
    requests.push({ method: req.method ?? '', path, target, auth });
    if (target === 'file') {
      const failure = takeFault('file', ['status'] as const);
      if (failure) return json(res, failure.status, failure.body ?? { detail: 'injected' });
      const bytes = files.get(path);
      if (!bytes) return json(res, 404, { detail: 'Not found.' });
      return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) }).end(bytes);
    }
    if (target === 'other') return json(res, 404, { detail: 'Not found.' });
    if (auth !== 'valid') return json(res, 401, { title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 });
    const fault = takeFault(target, ['status', 'drop-after-accept'] as const);
    if (fault?.kind === 'status') return json(res, fault.status, fault.body ?? { detail: 'injected' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});

    if (target === 'submit') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReplicateSubmission['body'];
      if (typeof body.input?.prompt !== 'string') return json(res, 422, { title: 'Input validation failed', detail: 'input.prompt is required', status: 422 });
      const shaped = takeFault('job', ['outcome'] as const);
      const p: Prediction = { id: nanoid(), model: submitMatch![1]!, input: body.input, status: 'starting', gets: 0, hold: shaped?.hold ?? false, fail: shaped?.fail, output: undefined };
      predictions.set(p.id, p);
      const prefer = req.headers.prefer;
      submissions.push({ id: p.id, model: p.model, body, imageHashes: replicateImageHashes(body.input), headers: { ...(typeof prefer === 'string' ? { prefer } : {}), ...(typeof req.headers['cancel-after'] === 'string' ? { cancelAfter: req.headers['cancel-after'] } : {}) } });
      if (fault?.kind === 'drop-after-accept') return void req.socket.destroy();
      // Prefer: wait holds the answer until the prediction is done; here "done" is at once unless held.
      if (typeof prefer === 'string' && prefer.startsWith('wait') && !p.hold) {
        p.gets = pendingGets;
        await advance(p);
      }
      return json(res, 201, view(p));
    }
    const p = predictions.get((getMatch ?? cancelMatch)![1]!);
    if (!p) return json(res, 404, { detail: 'Not found.' });
    if (target === 'cancel') {
      if (p.status === 'starting' || p.status === 'processing') p.status = 'canceled';
      return json(res, 200, view(p));
    }
    await advance(p);
    return json(res, 200, view(p));
  };

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1`,
    key,
    faults,
    submissions,
    requests,
    release(id) {
      const p = predictions.get(id);
      if (p) p.hold = false;
    },
    forget(id) {
      predictions.delete(id);
    },
    fileBytes: (fileUrl) => files.get(new URL(fileUrl).pathname),
    clientOptions: () => ({ key, baseUrl: `${origin}/v1`, pollIntervalMs: 5, preferWaitSeconds: 5, env: {} }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function replicateImageHashes(input: Record<string, unknown>): (string | null)[] {
  const images = typeof input.input_image === 'string' ? [input.input_image] : Array.isArray(input.input_images) ? input.input_images : [];
  return images.map((value) => {
    if (typeof value !== 'string' || !isDataUri(value)) return null;
    return createHash('sha256').update(parseDataUri(value).bytes).digest('hex');
  });
}
