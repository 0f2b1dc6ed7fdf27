export { createFalProvider, type FalProvider } from './createFalProvider.js';
export { FalQueueClient, type FalRunResult, type StatusOptions } from './FalQueueClient.js';
export {
  DEFAULT_INLINE_MAX_BYTES,
  DEFAULT_QUEUE_URL,
  DEFAULT_RUN_URL,
  DEFAULT_STORAGE_URL,
  resolveFalOptions,
  type FalClientOptions,
  type ResolvedFalOptions,
} from './options.js';
export { FalRequestHandle, FalStatus, parseRequestHandle, type FalSubmitted, type FalLogLine } from './protocol.js';
export { parseRetryAfter, DEFAULT_MAX_RETRY_AFTER_MS } from './retryAfter.js';
export { backoffDelay, isConnectPhaseError, NO_RETRY, READ_RETRY, SUBMIT_RETRY, withServerErrors, type RetryPolicy } from './retry.js';
export { toFalImageUrl, type FalImageInput, type ImageUrlDeps } from './imageInput.js';
export type { DownloadOptions } from './download.js';
export type { UploadOptions } from './storage.js';
export { errorFromResponse, describeDetail } from './errorFromResponse.js';
