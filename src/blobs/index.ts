export type { BlobStore, ArchivedBlob, TemporaryEntry } from './BlobStore.js';
export { FileBlobStore, DEFAULT_MAX_BLOB_BYTES } from './FileBlobStore.js';
export { MemoryBlobStore } from './MemoryBlobStore.js';
export { BlobTooLargeError } from './BlobTooLargeError.js';
