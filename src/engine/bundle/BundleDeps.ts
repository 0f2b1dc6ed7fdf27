import type { BlobStore } from '../../blobs/BlobStore.js';
import type { SessionStore } from '../../store/SessionStore.js';

/** What export and import work on: the rows and the image bytes. */
export interface BundleDeps {
  store: SessionStore;
  blobs: BlobStore;
}
