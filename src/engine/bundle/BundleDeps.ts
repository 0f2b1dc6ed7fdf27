import type { BlobStore } from '../../blobs/BlobStore.js';
import type { EndpointRegistry } from '../../kontext/endpoints.js';
import type { SessionStore } from '../../store/SessionStore.js';

/** What export and import work on: the rows and the image bytes. */
export interface BundleDeps {
  store: SessionStore;
  blobs: BlobStore;
  /** On import: the endpoints every turn's and the session's endpoint must be one of. Default: not checked. */
  endpoints?: EndpointRegistry;
}
