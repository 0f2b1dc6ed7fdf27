export { createReplicateProvider, toReplicateInput, DEFAULT_REPLICATE_URL, type ReplicateProvider, type ReplicateClientOptions } from './createReplicateProvider.js';
