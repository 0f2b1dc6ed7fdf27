import type { CallOptions, Provider, SubmittedJob } from '../Provider.js';
import { FalQueueClient, type FalRunResult } from './FalQueueClient.js';
import type { FalImageInput } from './imageInput.js';
import type { FalClientOptions } from './options.js';
import { parseRequestHandle } from './protocol.js';

/** The fal provider: the engine's Provider, plus what only fal offers. */
export interface FalProvider extends Provider {
  readonly name: 'fal';
  /** The lower-level queue client the provider runs on. */
  readonly client: FalQueueClient;
  /** A synchronous run (`sync_mode: true` returns data URIs); see {@link FalQueueClient.run}. */
  run(endpointId: string, input: Record<string, unknown>, options?: CallOptions): Promise<FalRunResult>;
  /** The `image_url` for a file path, data URI, http(s) URL, bytes or ImageSource (see `prepareImage`). */
  imageUrlFrom(input: FalImageInput, options?: CallOptions): Promise<string>;
  /** Closes the keep-alive pool, if the provider created it. */
  close(): Promise<void>;
}

/**
 * Creates the fal queue provider. Options are resolved once here (env overrides
 * `FAL_KEY`, `FAL_QUEUE_URL`, `FAL_RUN_URL`, `FAL_STORAGE_URL`); no request is made until a
 * method is called, and a missing key is reported then (AuthError) rather than here.
 *
 * `SubmittedJob.handle` is `{ statusUrl, responseUrl, cancelUrl }` as fal returned them (and
 * `webhook: true` when fal was asked to call back, `?fal_webhook=`) —
 * never the key — so a restarted process can `wait` for or `cancel` the job.
 *
 * @example
 * const fal = createFalProvider({ key: process.env.FAL_KEY });
 * const image_url = await fal.imageUrlFrom('./photo.jpg');
 * const job = await fal.submit('fal-ai/flux-pro/kontext', { prompt: 'make it winter', image_url });
 * const output = await fal.wait('fal-ai/flux-pro/kontext', job, { onProgress: (e) => console.log(e) });
 * await fal.close();
 */
export function createFalProvider(options: FalClientOptions = {}): FalProvider {
  const client = new FalQueueClient(options);
  const handleOf = (job: SubmittedJob) => parseRequestHandle(job.requestId, job.handle);
  return {
    name: 'fal',
    client,
    prepareImage: (image, callOptions) => client.prepareImageUrl(image, callOptions),
    async submit(endpointId, input, callOptions = {}) {
      const { webhook, ...rest } = callOptions;
      const { requestId, statusUrl, responseUrl, cancelUrl } = await client.submit(endpointId, input, { ...rest, ...(webhook ? { webhookUrl: webhook.url } : {}) });
      return { requestId, handle: { statusUrl, responseUrl, cancelUrl, ...(webhook ? { webhook: true } : {}) } };
    },
    // A job submitted without a webhook is streamed or polled as ever, whatever the caller offers.
    wait: (endpointId, job, waitOptions = {}) => {
      const { wakeUp, ...rest } = waitOptions;
      return client.wait(endpointId, handleOf(job), job.handle.webhook === true && wakeUp ? waitOptions : rest);
    },
    async cancel(endpointId, job, callOptions) {
      await client.cancel(endpointId, handleOf(job), callOptions);
    },
    download: (url, downloadOptions) => client.download(url, downloadOptions),
    run: (endpointId, input, callOptions) => client.run(endpointId, input, callOptions),
    imageUrlFrom: (input, callOptions) => client.prepareImageUrl(input, callOptions),
    close: () => client.close(),
  };
}
