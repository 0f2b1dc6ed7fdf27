import { createHash, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nanoid } from 'nanoid';
import sharp from 'sharp';
import { EndpointRegistry, type EndpointSpec } from '../../src/kontext/endpoints.js';
import { describeIssues } from '../../src/kontext/validation.js';
import { isDataUri, parseDataUri, toDataUri } from '../../src/util/dataUri.js';
import { sniffImageType } from '../../src/util/imageType.js';

/**
 * A fal-compatible server for tests, on 127.0.0.1 with a random port: the queue API
 * (submit, status with logs, status stream, result, cancel), synchronous runs, storage
 * upload, and the files it generates — real small JPEG/PNG images made with sharp.
 *
 * One origin stands in for fal's three hosts, by path prefix:
 *   queue.fal.run → `<url>/queue`, fal.run → `<url>/run`, rest.fal.ai → `<url>/rest`.
 * It mimics fal's URL quirk: a submit to `fal-ai/flux-pro/kontext/max` answers with
 * status/response URLs under `fal-ai/flux-pro/requests/<id>` (owner/alias only).
 *
 * Tests inject faults (`server.faults.push(...)`) and read what the server saw
 * (`server.submissions`, `server.requests`); both are also reachable over HTTP
 * (`POST /__faults`, `GET /__log`) for a server running in a child process.
 */

export type FaultTarget = 'submit' | 'status' | 'stream' | 'result' | 'cancel' | 'run' | 'initiate' | 'upload' | 'file';

export type FalFault =
  /** Answer with this HTTP status (and `Retry-After`), doing nothing else. */
  | { on: FaultTarget; kind: 'status'; status: number; retryAfter?: string; body?: unknown; times?: number }
  /** Destroy the socket without answering and without doing anything (not accepted). */
  | { on: FaultTarget; kind: 'reset'; times?: number }
  /** Accept and record the job, then destroy the socket without answering. */
  | { on: 'submit' | 'run'; kind: 'drop-after-accept'; times?: number }
  /** Never answer (a submit or run is accepted and recorded first): for response timeouts. */
  | { on: FaultTarget; kind: 'hang'; times?: number }
  /** Send the first status event, then cut the connection. */
  | { on: 'stream'; kind: 'cut'; times?: number }
  /** The next job fails: its result is this status and `{ detail }`. */
  | { on: 'job'; kind: 'fail'; status?: number; detail?: unknown; times?: number }
  /** The next job's queue and in-progress times; `hold` keeps it IN_QUEUE until `release(id)`. */
  | { on: 'job'; kind: 'timing'; queueMs?: number; inProgressMs?: number; hold?: boolean; times?: number }
  /** Serve the next file with this Content-Type, whatever it is. */
  | { on: 'file'; kind: 'content-type'; contentType: string; times?: number };

export interface FalTestTiming {
  /** How long a job stays IN_QUEUE. */
  queueMs: number;
  /** How long a job stays IN_PROGRESS (and a synchronous run takes). */
  inProgressMs: number;
  /** A log line is added this often while a job runs. */
  logIntervalMs: number;
}

export interface FalTestServerOptions extends Partial<FalTestTiming> {
  /** The key the server accepts (`Authorization: Key <key>`). Default `test-key`. */
  key?: string;
  /**
   * Base of the status/response/cancel URLs it hands out, instead of its own queue URL:
   * to act as a proxy that passes the upstream's URLs through unchanged.
   */
  advertisedQueueUrl?: string;
}

/** A job the server accepted. `headers` never include `authorization`. */
export interface Submission {
  requestId: string;
  endpointId: string;
  via: 'queue' | 'run';
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  at: number;
  /** sha256 of each image the request carried (`image_url`, or every `image_urls` entry), in order, as this server decoded or looked it up; null where it could not. */
  imageHashes: (string | null)[];
}

/** Every request the server received. `auth` says what credentials came with it. */
export interface RequestRecord {
  method: string;
  path: string;
  target: FaultTarget | 'admin' | 'other';
  auth: 'none' | 'valid' | 'invalid';
  at: number;
}

export interface FalTestLog {
  submissions: Submission[];
  requests: RequestRecord[];
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: { bytes: Buffer; contentType: string; chunked?: boolean };
}

type Phase = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

interface LogEntry {
  message: string;
  level: string;
  source: string;
  timestamp: string;
}

interface Job {
  id: string;
  endpointId: string;
  app: string;
  input: Record<string, unknown>;
  phase: Phase;
  seq: number;
  logs: LogEntry[];
  outcome: { status: number; body: unknown } | undefined;
  cancelled: boolean;
  timers: NodeJS.Timeout[];
  /** Starts the job's run; set while the job is held in the queue. */
  release: (() => void) | undefined;
  listeners: Set<() => void>;
  metrics: Record<string, number> | undefined;
}

interface StoredFile {
  bytes: Buffer;
  contentType: string;
  expired: boolean;
  chunked: boolean;
}

const QUEUE_PATH = /^\/queue\/(.+?)\/requests\/([^/]+)(\/status(?:\/stream)?|\/cancel)?\/?$/;

export class FalTestServer {
  readonly key: string;
  readonly timing: FalTestTiming;
  /** Faults still to happen, consumed in order by the first matching request. */
  readonly faults: FalFault[] = [];
  readonly submissions: Submission[] = [];
  readonly requests: RequestRecord[] = [];

  private readonly server: Server;
  private readonly registry = new EndpointRegistry();
  private readonly jobs = new Map<string, Job>();
  private readonly files = new Map<string, StoredFile>();
  private readonly uploads = new Map<string, { path: string; contentType: string }>();
  private seq = 0;
  private origin = '';
  private readonly advertisedQueueUrl: string | undefined;

  constructor(options: FalTestServerOptions = {}) {
    this.key = options.key ?? 'test-key';
    this.advertisedQueueUrl = options.advertisedQueueUrl;
    this.timing = { queueMs: options.queueMs ?? 20, inProgressMs: options.inProgressMs ?? 60, logIntervalMs: options.logIntervalMs ?? 20 };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.write(res, { status: 500, body: { detail: `test server error: ${String(error)}` } });
        else res.destroy();
      });
    });
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    if (!this.origin) throw new Error('FalTestServer is not started');
    return this.origin;
  }
  get queueUrl(): string {
    return `${this.url}/queue`;
  }
  get runUrl(): string {
    return `${this.url}/run`;
  }
  get storageUrl(): string {
    return `${this.url}/rest`;
  }

  /** What a FalQueueClient needs to talk to this server, and only to it. */
  clientOptions(): { queueUrl: string; runUrl: string; storageUrl: string; key: string; env: Record<string, string> } {
    return { queueUrl: this.queueUrl, runUrl: this.runUrl, storageUrl: this.storageUrl, key: this.key, env: {} };
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) for (const timer of job.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Makes a file URL this server handed out answer 404 from now on, as fal's URLs do after a while. */
  expire(url: string): void {
    const file = this.files.get(this.filePath(url) ?? '');
    if (!file) throw new Error(`not a file of this server: ${url}`);
    file.expired = true;
  }

  /** Serves arbitrary bytes (for download tests); `chunked` omits Content-Length. */
  putFile(bytes: Uint8Array, contentType: string, options: { chunked?: boolean; name?: string } = {}): string {
    const path = options.name ?? `${nanoid()}.bin`;
    this.files.set(path, { bytes: Buffer.from(bytes), contentType, expired: false, chunked: options.chunked ?? false });
    return `${this.url}/files/${path}`;
  }

  /** The bytes behind a file URL of this server, or undefined. */
  fileBytes(url: string): Buffer | undefined {
    return this.files.get(this.filePath(url) ?? '')?.bytes;
  }

  /** A job's state, for assertions. */
  job(requestId: string): { phase: Phase; cancelled: boolean; endpointId: string } | undefined {
    const job = this.jobs.get(requestId);
    return job && { phase: job.phase, cancelled: job.cancelled, endpointId: job.endpointId };
  }

  /** Requests that hit `target` (e.g. how many submits or status polls were made). */
  requestsTo(target: RequestRecord['target']): RequestRecord[] {
    return this.requests.filter((r) => r.target === target);
  }

  log(): FalTestLog {
    return { submissions: this.submissions, requests: this.requests };
  }

  // ---- dispatch -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const target = this.targetOf(method, path);
    const auth = this.authOf(req);
    this.requests.push({ method, path: `${path}${url.search}`, target, auth, at: Date.now() });

    if (target === 'admin') return this.write(res, await this.admin(method, path, body));
    if (target === 'other') return this.write(res, { status: 404, body: { detail: `Not Found: ${method} ${path}` } });

    const fault = this.takeFault(target);
    if (fault?.kind === 'status') {
      return this.write(res, { status: fault.status, body: fault.body ?? { detail: `injected ${fault.status}` }, headers: fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter } });
    }
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'hang' && target !== 'submit' && target !== 'run') return;

    // Files and pre-signed upload URLs are public, like fal's CDN and storage URLs.
    const needsAuth = target !== 'file' && target !== 'upload';
    if (needsAuth && auth !== 'valid') {
      const given = req.headers.authorization;
      // Deliberately echoes what it was given, as careless servers and proxies do, so that
      // tests prove the client redacts the key from whatever comes back.
      const detail = given ? `Invalid credentials: ${given.replace(/^Key\s+/i, '')}` : 'Missing credentials: send Authorization: Key <key>';
      return this.write(res, { status: 401, body: { detail } });
    }

    switch (target) {
      case 'submit':
        return this.onSubmit(req, res, path.slice('/queue/'.length), body, fault);
      case 'run':
        return this.onRun(req, res, path.slice('/run/'.length), body, fault);
      case 'status':
      case 'result':
      case 'cancel':
      case 'stream':
        return this.onQueueRequest(req, res, target, path, url, fault);
      case 'initiate':
        return this.write(res, this.onInitiate(url, body));
      case 'upload':
        return this.write(res, this.onUpload(path, req, body));
      case 'file':
        return this.write(res, this.onFile(path, fault));
    }
  }

  private targetOf(method: string, path: string): RequestRecord['target'] {
    if (path.startsWith('/__')) return 'admin';
    if (path.startsWith('/files/') && (method === 'GET' || method === 'HEAD')) return 'file';
    if (path.startsWith('/upload/') && method === 'PUT') return 'upload';
    if (path === '/rest/storage/upload/initiate' && method === 'POST') return 'initiate';
    if (path.startsWith('/run/') && method === 'POST') return 'run';
    const match = QUEUE_PATH.exec(path);
    if (match) {
      const suffix = match[3] ?? '';
      if (suffix === '/cancel') return method === 'PUT' ? 'cancel' : 'other';
      if (method !== 'GET') return 'other';
      return suffix === '/status/stream' ? 'stream' : suffix === '/status' ? 'status' : 'result';
    }
    if (path.startsWith('/queue/') && method === 'POST') return 'submit';
    return 'other';
  }

  private authOf(req: IncomingMessage): RequestRecord['auth'] {
    const given = req.headers.authorization;
    if (!given) return 'none';
    return given === `Key ${this.key}` ? 'valid' : 'invalid';
  }

  private takeFault(target: FaultTarget | 'job', kind?: FalFault['kind']): FalFault | undefined {
    const index = this.faults.findIndex((f) => f.on === target && (kind === undefined || f.kind === kind));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) this.faults.splice(index, 1);
    else this.faults[index] = { ...fault, times: left };
    return fault;
  }

  private write(res: ServerResponse, reply: Reply): void {
    if (reply.raw) {
      const headers: Record<string, string | number> = { 'content-type': reply.raw.contentType, ...reply.headers };
      if (!reply.raw.chunked) headers['content-length'] = reply.raw.bytes.byteLength;
      res.writeHead(reply.status, headers);
      res.end(res.req.method === 'HEAD' ? undefined : reply.raw.bytes);
      return;
    }
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...reply.headers });
    res.end(text);
  }

  // ---- queue ----------------------------------------------------------------------------

  private onSubmit(req: IncomingMessage, res: ServerResponse, endpointId: string, raw: Buffer, fault: FalFault | undefined): void {
    const accepted = this.accept(req, endpointId, raw, 'queue');
    if ('status' in accepted) return this.write(res, accepted);
    const job = accepted.job;
    if (fault?.kind === 'drop-after-accept') return void req.socket.destroy();
    if (fault?.kind === 'hang') return;
    this.write(res, { status: 200, headers: { 'x-fal-request-id': job.id }, body: { status: 'IN_QUEUE', request_id: job.id, ...this.urlsOf(job), queue_position: this.positionOf(job) } });
  }

  /** Validates like fal (422 with `{detail: [{loc, msg, type}]}`), records and starts the job. */
  private accept(req: IncomingMessage, endpointId: string, raw: Buffer, via: Submission['via']): { job: Job } | Reply {
    const spec = this.endpoint(endpointId);
    if (!spec) return { status: 404, body: { detail: `Application '${endpointId}' not found` } };
    let parsedBody: unknown;
    try {
      parsedBody = JSON.parse(raw.toString('utf8'));
    } catch {
      return { status: 422, body: { detail: [{ loc: ['body'], msg: 'Expecting a JSON object', type: 'json_invalid' }] } };
    }
    const result = spec.input.safeParse(parsedBody);
    if (!result.success) return { status: 422, body: { detail: falDetail(result.error.issues, parsedBody) } };
    const id = `${nanoid(8)}-${nanoid(4)}-${nanoid(12)}`.toLowerCase();
    const { authorization: _omitted, ...headers } = req.headers;
    const imageHashes = imageUrlsOf(result.data as Record<string, unknown>).map((url) => {
      const bytes = this.loadImage(url);
      return bytes ? createHash('sha256').update(bytes).digest('hex') : null;
    });
    this.submissions.push({ requestId: id, endpointId, via, body: parsedBody, headers, at: Date.now(), imageHashes });
    const job: Job = {
      id,
      endpointId,
      app: endpointId.split('/').slice(0, 2).join('/'),
      input: result.data as Record<string, unknown>,
      phase: 'IN_QUEUE',
      seq: this.seq++,
      logs: [],
      outcome: undefined,
      cancelled: false,
      timers: [],
      release: undefined,
      listeners: new Set(),
      metrics: undefined,
    };
    this.jobs.set(id, job);
    if (via === 'queue') this.schedule(job);
    return { job };
  }

  private schedule(job: Job): void {
    const timing = this.takeFault('job', 'timing') as Extract<FalFault, { kind: 'timing' }> | undefined;
    const queueMs = timing?.queueMs ?? this.timing.queueMs;
    const inProgressMs = timing?.inProgressMs ?? this.timing.inProgressMs;
    const failure = this.takeFault('job', 'fail') as Extract<FalFault, { kind: 'fail' }> | undefined;
    const run = () => {
      if (job.cancelled) return;
      job.phase = 'IN_PROGRESS';
      this.addLog(job, 'Starting inference');
      let step = 0;
      const ticker = setInterval(() => this.addLog(job, `step ${++step}`), this.timing.logIntervalMs);
      job.timers.push(ticker as unknown as NodeJS.Timeout);
      job.timers.push(
        setTimeout(() => {
          clearInterval(ticker);
          void this.outcomeOf(job, failure, inProgressMs).then((outcome) => {
            if (job.cancelled) return;
            job.outcome = outcome;
            job.metrics = { inference_time: inProgressMs / 1000 };
            this.addLog(job, 'Done');
            job.phase = 'COMPLETED';
            this.notifyAll();
          });
        }, inProgressMs),
      );
      this.notifyAll();
    };
    if (timing?.hold) {
      job.release = () => {
        job.release = undefined;
        job.timers.push(setTimeout(run, queueMs));
      };
    } else {
      job.timers.push(setTimeout(run, queueMs));
    }
  }

  /** Lets a job held in the queue (timing fault with `hold`) start. */
  release(requestId: string): void {
    const job = this.jobs.get(requestId);
    if (!job?.release) throw new Error(`job ${requestId} is not held`);
    job.release();
  }

  private addLog(job: Job, message: string): void {
    job.logs.push({ message, level: 'INFO', source: 'user', timestamp: new Date().toISOString() });
    for (const listener of job.listeners) listener();
  }

  /** A phase change moves everyone's queue position. */
  private notifyAll(): void {
    for (const job of this.jobs.values()) for (const listener of job.listeners) listener();
  }

  private positionOf(job: Job): number {
    let ahead = 0;
    for (const other of this.jobs.values()) if (other.phase === 'IN_QUEUE' && other.seq < job.seq && !other.cancelled) ahead++;
    return ahead;
  }

  private urlsOf(job: Job): { status_url: string; response_url: string; cancel_url: string } {
    // fal's quirk: owner/alias only, the endpoint's sub-path is dropped.
    const base = `${this.advertisedQueueUrl ?? this.queueUrl}/${job.app}/requests/${job.id}`;
    return { status_url: `${base}/status`, response_url: base, cancel_url: `${base}/cancel` };
  }

  private statusBody(job: Job, logs: LogEntry[] | null): Record<string, unknown> {
    const body: Record<string, unknown> = { status: job.phase, request_id: job.id, ...this.urlsOf(job), logs };
    if (job.phase === 'IN_QUEUE') body.queue_position = this.positionOf(job);
    if (job.phase === 'COMPLETED') body.metrics = job.metrics ?? {};
    return body;
  }

  private onQueueRequest(req: IncomingMessage, res: ServerResponse, target: 'status' | 'result' | 'cancel' | 'stream', path: string, url: URL, fault: FalFault | undefined): void {
    const match = QUEUE_PATH.exec(path)!;
    const job = this.jobs.get(match[2]!);
    // Both owner/alias (what fal returns) and the full endpoint path are accepted.
    if (!job || !`${job.endpointId}/`.startsWith(`${match[1]}/`)) return this.write(res, { status: 404, body: { detail: `Request '${match[2]}' not found` } });
    const withLogs = url.searchParams.get('logs') === '1';
    const headers = { 'x-fal-request-id': job.id };
    if (target === 'status') return this.write(res, { status: job.phase === 'IN_QUEUE' ? 202 : 200, headers, body: this.statusBody(job, withLogs ? job.logs : null) });
    if (target === 'result') {
      if (!job.outcome) return this.write(res, { status: 400, headers, body: { detail: 'Request is still in progress' } });
      return this.write(res, { status: job.outcome.status, headers, body: job.outcome.body });
    }
    if (target === 'cancel') {
      if (job.phase === 'COMPLETED') return this.write(res, { status: 400, headers, body: { status: 'ALREADY_COMPLETED' } });
      job.cancelled = true;
      for (const timer of job.timers) clearTimeout(timer);
      job.outcome = { status: 400, body: { detail: 'Request was cancelled' } };
      job.phase = 'COMPLETED';
      this.notifyAll();
      return this.write(res, { status: 202, headers, body: { status: 'CANCELLATION_REQUESTED' } });
    }
    this.stream(req, res, job, withLogs, fault?.kind === 'cut');
  }

  /** Server-sent events: one `data:` status per change; logs are sent once each, as fal does. */
  private stream(req: IncomingMessage, res: ServerResponse, job: Job, withLogs: boolean, cut: boolean): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-fal-request-id': job.id });
    let sentLogs = 0;
    let last = '';
    const send = () => {
      const logs = withLogs ? job.logs.slice(sentLogs) : null;
      const body = this.statusBody(job, logs);
      const signature = JSON.stringify({ ...body, logs: null });
      if (signature === last && (logs === null || logs.length === 0)) return;
      sentLogs = job.logs.length;
      last = signature;
      res.write(`data: ${JSON.stringify(body)}\n\n`);
      if (cut) {
        stop();
        req.socket.destroy();
      } else if (job.phase === 'COMPLETED') {
        stop();
        res.end();
      }
    };
    const stop = () => job.listeners.delete(send);
    req.on('close', stop);
    job.listeners.add(send);
    send();
  }

  // ---- sync run -------------------------------------------------------------------------

  private async onRun(req: IncomingMessage, res: ServerResponse, endpointId: string, raw: Buffer, fault: FalFault | undefined): Promise<void> {
    const accepted = this.accept(req, endpointId, raw, 'run');
    if ('status' in accepted) return this.write(res, accepted);
    const job = accepted.job;
    if (fault?.kind === 'drop-after-accept') return void req.socket.destroy();
    if (fault?.kind === 'hang') return;
    const timing = this.takeFault('job', 'timing') as Extract<FalFault, { kind: 'timing' }> | undefined;
    const failure = this.takeFault('job', 'fail') as Extract<FalFault, { kind: 'fail' }> | undefined;
    const inProgressMs = timing?.inProgressMs ?? this.timing.inProgressMs;
    await new Promise((resolve) => setTimeout(resolve, inProgressMs));
    const outcome = await this.outcomeOf(job, failure, inProgressMs);
    job.outcome = outcome;
    job.phase = 'COMPLETED';
    if (!res.destroyed) this.write(res, { status: outcome.status, headers: { 'x-fal-request-id': job.id }, body: outcome.body });
  }

  // ---- outputs --------------------------------------------------------------------------

  private async outcomeOf(job: Job, failure: Extract<FalFault, { kind: 'fail' }> | undefined, inProgressMs: number): Promise<{ status: number; body: unknown }> {
    if (failure) return { status: failure.status ?? 500, body: { detail: failure.detail ?? 'Internal error while running the model' } };
    const input = job.input;
    let source: Buffer | undefined;
    // Multi-image endpoints take `image_urls`: the first is the picture edited, the rest references. Every one must load.
    for (const [i, url] of imageUrlsOf(input).entries()) {
      const loaded = this.loadImage(url);
      if (!loaded) {
        // The server never fetches from the network: only its own files and data URIs load.
        const loc = typeof input.image_url === 'string' ? ['body', 'image_url'] : ['body', 'image_urls', i];
        return { status: 422, body: { detail: [{ loc, msg: 'Failed to load the image. Please ensure the image URL is accessible.', type: 'image_load_error', input: url.slice(0, 80) }] } };
      }
      source ??= loaded;
    }
    const seed = typeof input.seed === 'number' ? input.seed : randomInt(0, 2 ** 32);
    const count = typeof input.num_images === 'number' ? input.num_images : 1;
    const format = input.output_format === 'png' ? 'png' : 'jpeg';
    const prompt = String(input.prompt ?? '');
    const { width, height } = await dimensionsOf(input.aspect_ratio, source);
    const sourceHash = source ? createHash('sha256').update(source).digest('hex') : '';
    const images = [];
    for (let index = 0; index < count; index++) {
      const bytes = await renderImage({ seed, prompt, index, sourceHash, width, height, format });
      const contentType = `image/${format}`;
      const url = input.sync_mode === true ? toDataUri(bytes, contentType) : this.putFile(bytes, contentType, { name: `${nanoid()}.${format === 'png' ? 'png' : 'jpg'}` });
      images.push({ url, width, height, content_type: contentType });
    }
    return {
      status: 200,
      body: { images, timings: { inference: inProgressMs / 1000 }, seed, has_nsfw_concepts: images.map(() => false), prompt },
    };
  }

  private loadImage(imageUrl: string): Buffer | undefined {
    let bytes: Buffer | undefined;
    if (isDataUri(imageUrl)) {
      try {
        bytes = parseDataUri(imageUrl).bytes;
      } catch {
        return undefined;
      }
    } else {
      const file = this.files.get(this.filePath(imageUrl) ?? '');
      bytes = file && !file.expired ? file.bytes : undefined;
    }
    return bytes && sniffImageType(bytes.subarray(0, 16)) ? bytes : undefined;
  }

  // ---- storage and files ----------------------------------------------------------------

  private onInitiate(url: URL, raw: Buffer): Reply {
    let body: { content_type?: unknown; file_name?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
    } catch {
      return { status: 422, body: { detail: [{ loc: ['body'], msg: 'Expecting a JSON object', type: 'json_invalid' }] } };
    }
    if (typeof body.content_type !== 'string' || typeof body.file_name !== 'string') {
      return { status: 422, body: { detail: [{ loc: ['body', 'content_type'], msg: 'content_type and file_name are required', type: 'missing' }] } };
    }
    const token = nanoid();
    const path = `${token}/${encodeURIComponent(body.file_name)}`;
    this.uploads.set(token, { path, contentType: body.content_type });
    return {
      status: 200,
      body: { upload_url: `${this.url}/upload/${token}?storage_type=${url.searchParams.get('storage_type') ?? ''}&signature=test`, file_url: `${this.url}/files/${path}` },
    };
  }

  private onUpload(path: string, req: IncomingMessage, raw: Buffer): Reply {
    const token = path.slice('/upload/'.length);
    const upload = this.uploads.get(token);
    if (!upload) return { status: 404, body: { detail: 'Unknown upload' } };
    const contentType = req.headers['content-type'] ?? upload.contentType;
    this.files.set(upload.path, { bytes: raw, contentType, expired: false, chunked: false });
    return { status: 200, raw: { bytes: Buffer.alloc(0), contentType: 'text/plain' } };
  }

  private onFile(path: string, fault: FalFault | undefined): Reply {
    const file = this.files.get(path.slice('/files/'.length));
    if (!file || file.expired) return { status: 404, body: { detail: 'File not found' } };
    const contentType = fault?.kind === 'content-type' ? fault.contentType : file.contentType;
    return { status: 200, raw: { bytes: file.bytes, contentType, chunked: file.chunked } };
  }

  private filePath(url: string): string | undefined {
    if (!url.startsWith(`${this.url}/files/`)) return undefined;
    return new URL(url).pathname.slice('/files/'.length);
  }

  private endpoint(endpointId: string): EndpointSpec | undefined {
    try {
      const spec = this.registry.get(endpointId);
      return spec.provider === 'fal' ? spec : undefined;
    } catch {
      return undefined;
    }
  }

  // ---- admin (for a server in a child process) ------------------------------------------

  private async admin(method: string, path: string, raw: Buffer): Promise<Reply> {
    if (method === 'GET' && path === '/__log') return { status: 200, body: this.log() };
    if (method === 'POST' && path === '/__faults') {
      const body = JSON.parse(raw.toString('utf8')) as FalFault | FalFault[];
      this.faults.push(...(Array.isArray(body) ? body : [body]));
      return { status: 204 };
    }
    if (method === 'POST' && path === '/__timing') {
      Object.assign(this.timing, JSON.parse(raw.toString('utf8')) as Partial<FalTestTiming>);
      return { status: 204 };
    }
    if (method === 'POST' && path === '/__expire') {
      this.expire((JSON.parse(raw.toString('utf8')) as { url: string }).url);
      return { status: 204 };
    }
    const releaseMatch = /^\/__release\/([^/]+)$/.exec(path);
    if (method === 'POST' && releaseMatch) {
      this.release(releaseMatch[1]!);
      return { status: 204 };
    }
    const jobMatch = /^\/__jobs\/([^/]+)$/.exec(path);
    if (method === 'GET' && jobMatch) {
      const job = this.job(jobMatch[1]!);
      return job ? { status: 200, body: job } : { status: 404, body: { detail: 'no such job' } };
    }
    return { status: 404, body: { detail: 'unknown admin route' } };
  }
}

/** Starts a server (see {@link FalTestServer}); close it with `close()`. */
export async function startFalTestServer(options: FalTestServerOptions = {}): Promise<FalTestServer> {
  return new FalTestServer(options).start();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Our zod issues in FastAPI's shape: `{loc: ['body', field], msg, type}`. */
function falDetail(issues: Parameters<typeof describeIssues>[0], input: unknown): { loc: (string | number)[]; msg: string; type: string }[] {
  return issues.flatMap((issue) =>
    // One zod issue can name several fields (unknown keys), hence describe them one by one.
    describeIssues([issue], input).map((described) => ({
      loc: ['body', ...described.field.split('.').filter(Boolean).map((part) => (/^\d+$/.test(part) ? Number(part) : part))],
      msg: described.message,
      type: pydanticType(issue.code, described.message),
    })),
  );
}

function pydanticType(code: string, message: string): string {
  if (code === 'unrecognized_keys') return 'extra_forbidden';
  if (code === 'invalid_type') return message.startsWith('is required') ? 'missing' : 'type_error';
  if (code === 'invalid_value') return 'enum';
  if (code === 'too_big') return 'less_than_equal';
  if (code === 'too_small') return 'greater_than_equal';
  return 'value_error';
}

async function dimensionsOf(aspectRatio: unknown, source: Buffer | undefined): Promise<{ width: number; height: number }> {
  if (typeof aspectRatio === 'string') {
    const [w, h] = aspectRatio.split(':').map(Number);
    const ratio = (w ?? 1) / (h ?? 1);
    return { width: Math.max(8, Math.round(64 * Math.sqrt(ratio))), height: Math.max(8, Math.round(64 / Math.sqrt(ratio))) };
  }
  if (source) {
    const meta = await sharp(source).metadata();
    if (meta.width && meta.height) {
      const scale = Math.min(1, 96 / Math.max(meta.width, meta.height));
      return { width: Math.max(8, Math.round(meta.width * scale)), height: Math.max(8, Math.round(meta.height * scale)) };
    }
  }
  return { width: 64, height: 64 };
}

/** A deterministic picture: same seed, prompt, input and index → same bytes. */
async function renderImage(spec: { seed: number; prompt: string; index: number; sourceHash: string; width: number; height: number; format: 'jpeg' | 'png' }): Promise<Buffer> {
  const digest = createHash('sha256').update(`${spec.seed}|${spec.prompt}|${spec.index}|${spec.sourceHash}`).digest();
  const image = sharp({ create: { width: spec.width, height: spec.height, channels: 3, background: { r: digest[0]!, g: digest[1]!, b: digest[2]! } } }).composite([
    {
      input: { create: { width: Math.max(1, Math.floor(spec.width / 2)), height: Math.max(1, Math.floor(spec.height / 2)), channels: 3, background: { r: digest[3]!, g: digest[4]!, b: digest[5]! } } },
      left: digest[6]! % Math.max(1, Math.ceil(spec.width / 2)),
      top: digest[7]! % Math.max(1, Math.ceil(spec.height / 2)),
    },
  ]);
  return spec.format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 85 }).toBuffer();
}

/** The images a request carries, in order: `image_url`, or the `image_urls` list. */
function imageUrlsOf(input: Record<string, unknown>): string[] {
  if (typeof input.image_url === 'string') return [input.image_url];
  return Array.isArray(input.image_urls) ? input.image_urls.filter((u): u is string => typeof u === 'string') : [];
}
