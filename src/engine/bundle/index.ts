export type { BundleDeps } from './BundleDeps.js';
export { exportSession, type ExportOptions, type ExportResult } from './exportSession.js';
export { importBundle, DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_MAX_BUNDLE_ENTRIES, type ImportOptions, type ImportResult } from './importBundle.js';
export { BUNDLE_FORMAT, BUNDLE_VERSION, bundleManifestSchema, manifestDigest, parseManifest, type BundleManifest } from './manifest.js';
