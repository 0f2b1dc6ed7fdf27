export type { Provider, ProgressEvent, LogLine, SubmittedJob, CallOptions, WaitOptions, ImageSource, DownloadedImage } from './Provider.js';
export { createFalProvider, FalQueueClient, type FalProvider, type FalClientOptions, type FalRunResult } from './fal/index.js';
export { createLocalProvider, SIMULATED_NOTICE, type LocalProviderOptions, type LocalJobHandle } from './local/index.js';
export { createBflProvider, type BflProvider, type BflClientOptions } from './bfl/index.js';
export { createReplicateProvider, type ReplicateProvider, type ReplicateClientOptions } from './replicate/index.js';
