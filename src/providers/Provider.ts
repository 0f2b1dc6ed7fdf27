import type { KontextOutput } from '../kontext/schemas.js';

/** Progress of one job as a provider reports it. */
export type ProgressEvent =
  | { type: 'queued'; position: number | undefined }
  | { type: 'running'; logs: readonly LogLine[] }
  | { type: 'completed'; metrics: Record<string, unknown> | undefined };

export interface LogLine {
  message: string;
  level?: string;
  timestamp?: string;
}

/**
 * What a submit returns, and all a provider needs to find the job again — after a restart
 * too. The engine stores `handle` with the turn (fal: the status/response/cancel URLs the
 * server returned, which must be used as given rather than rebuilt).
 */
export interface SubmittedJob {
  requestId: string;
  handle: Record<string, unknown>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** A callback a provider is asked to make when the job ends (see `SubmitOptions.webhook`). */
export interface WebhookRequest {
  /** Where the provider posts, e.g. `https://kontext.example.com/webhooks/fal`. */
  url: string;
  /** The secret the provider signs with, for a provider whose request carries one (BFL). Never stored. */
  secret?: string;
}

export interface SubmitOptions extends CallOptions {
  /**
   * Ask the provider to call back when the job ends. A provider that can records it in the
   * job's handle (`webhook: true`), so any process's `wait` knows a webhook is coming.
   */
  webhook?: WebhookRequest;
}

export interface WaitOptions extends CallOptions {
  onProgress?: (event: ProgressEvent) => void;
  /**
   * For a job submitted with a webhook: resolves when its (verified) webhook arrives or a
   * fallback deadline passes. The provider then sends no status polls until it resolves, and
   * after a webhook fetches the result at once; after the deadline it polls as usual.
   * Ignored for jobs submitted without one.
   */
  wakeUp?: (signal: AbortSignal) => Promise<'webhook' | 'deadline'>;
  /**
   * The job's input image as the engine archived it (an edit turn's `inputBlob`), for a
   * provider that keeps no copy of its own to resume a job with after a restart: the local
   * simulator, whose `local://` images live in the memory of the process that submitted the
   * job. fal keeps its jobs' inputs itself and ignores this.
   */
  inputImage?: Pick<ImageSource, 'hash' | 'load'>;
  /** The job's reference images as the engine archived them, in order, for the same purpose. */
  referenceImages?: readonly Pick<ImageSource, 'hash' | 'load'>[];
}

/** An image the engine wants to send: the archived bytes, and the provider URL it came from if any. */
export interface ImageSource {
  hash: string;
  contentType: string;
  load: () => Promise<Buffer>;
  /** A URL a provider handed out for these bytes earlier; it may have expired. */
  url?: string;
  /** The provider that handed out `url`. */
  urlProvider?: string;
}

export interface DownloadedImage {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/**
 * The small, provider-neutral surface the engine runs turns through. The fal queue provider
 * and the offline local provider both implement it.
 */
export interface Provider {
  /** Stable name, stored with each turn (`fal`, `local`). */
  readonly name: string;
  /**
   * The `image_url` to send for `image`: a URL this provider gave out and still serves is
   * passed through; otherwise the bytes are uploaded or inlined as a data URI.
   */
  prepareImage(image: ImageSource, options?: CallOptions): Promise<string>;
  /** Submits once. Never repeats a submit that may have been accepted (AmbiguousSubmitError instead). */
  submit(endpointId: string, input: Record<string, unknown>, options?: SubmitOptions): Promise<SubmittedJob>;
  /** Waits for the job to finish and returns its validated output; works for a job submitted by an earlier process. */
  wait(endpointId: string, job: SubmittedJob, options?: WaitOptions): Promise<KontextOutput>;
  /** Asks the provider to cancel the job; resolves when the request was made. */
  cancel(endpointId: string, job: SubmittedJob, options?: CallOptions): Promise<void>;
  /** Opens an output image (http(s) URL or data URI) for archiving, refusing non-images and more than `maxBytes`. */
  download(url: string, options?: CallOptions & { maxBytes?: number }): Promise<DownloadedImage>;
  /** Releases connections and timers the provider owns (optional). */
  close?(): Promise<void>;
}
