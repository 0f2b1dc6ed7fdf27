import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SHA256_HEX } from '../../blobs/BlobStore.js';
import { IntegrityError } from '../../errors/IntegrityError.js';
import { ValidationError, type ValidationIssue } from '../../errors/ValidationError.js';
import { describeIssues } from '../../kontext/validation.js';
import type { BlobRow, OutputRow, RefRow, SessionRow, TurnRow } from '../../store/schema.js';
import { canonicalJson } from '../../store/SessionStore.js';
import { TurnDriftJson, TurnSizesJson } from '../../quality/schemas.js';
import { QualitySettingsSchema } from '../../quality/settings.js';

/** What a bundle's manifest says it is; anything else is not ours to import. */
export const BUNDLE_FORMAT = 'kontext-sessions-bundle';
/**
 * The manifest layout this library writes and the newest it reads. Version 2 added `digest`
 * (version-1 bundles, written before it, carry none and are still read); version 3 added pins
 * (`pinnedAt`), the `fork` origin and each turn's `referenceBlobs`, so an older library says
 * "upgrade" instead of dropping them (older bundles' turns arrive unpinned, without references).
 */
export const BUNDLE_VERSION = 3;

/** The two kinds of entry a bundle holds; every other tar entry is refused. */
export const MANIFEST_ENTRY = 'manifest.json';
export const BLOB_ENTRY_PREFIX = 'blobs/';

/**
 * Dates travel as epoch milliseconds: exact (SQLite keeps milliseconds), language-neutral,
 * and immune to time-zone formatting. The bounds are those of a JS Date.
 */
const epochMs = z.int().min(-8.64e15).max(8.64e15);
const sha256 = z.string().regex(SHA256_HEX, 'must be a lower-case hex sha256 (64 characters 0-9a-f)');
const id = z.string().min(1).max(256);
const jsonObject = z.record(z.string(), z.json());

// Every column is required in version 1. A column added to schema.ts later should be added
// here with a `.default(…)`, so version-1 bundles written before it stay importable.

const sessionSchema = z.object({
  id,
  title: z.string(),
  owner: z.string().nullable(),
  headTurnId: id.nullable(),
  headRef: z.string().nullable(),
  redoStack: z.array(id),
  defaultEndpoint: z.string(),
  defaultParams: jsonObject,
  budgetMicros: z.int().nullable(),
  // Added in version 2; a version-1 bundle's session gets the defaults.
  quality: QualitySettingsSchema.default({}),
  createdAt: epochMs,
  updatedAt: epochMs,
});

const turnSchema = z.object({
  id,
  sessionId: id,
  parentId: id.nullable(),
  depth: z.int().nonnegative(),
  kind: z.enum(['source', 'text', 'edit']),
  endpointId: z.string().nullable(),
  provider: z.string().nullable(),
  prompt: z.string().nullable(),
  params: jsonObject,
  seedRequested: z.int().nullable(),
  seedUsed: z.int().nullable(),
  status: z.enum(['pending', 'submitted', 'running', 'succeeded', 'failed', 'cancelled']),
  requestId: z.string().nullable(),
  providerHandle: jsonObject.nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorDetail: z.json(),
  timings: z.record(z.string(), z.number()).nullable(),
  costMicros: z.int(),
  selectedOutput: z.int().nonnegative(),
  inputBlob: sha256.nullable(),
  originTurnId: id.nullable(),
  originKind: z.enum(['memo', 'replay-exact', 'replay-fresh', 'whatif', 'fork']).nullable(),
  submitAttemptedAt: epochMs.nullable(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: epochMs.nullable(),
  createdAt: epochMs,
  startedAt: epochMs.nullable(),
  finishedAt: epochMs.nullable(),
  // Added in version 2; a version-1 bundle's turns arrive unmeasured.
  sizes: TurnSizesJson.nullable().default(null),
  drift: TurnDriftJson.nullable().default(null),
  qualityOptions: z.object({ preserveRegions: z.boolean().optional() }).strict().nullable().default(null),
  // Added in version 3; the turns of older bundles arrive unpinned.
  pinnedAt: epochMs.nullable().default(null),
  // Added in version 3; a turn of an older bundle carried no reference images.
  referenceBlobs: z.array(sha256).max(64).default([]),
});

const outputSchema = z.object({
  turnId: id,
  index: z.int().nonnegative(),
  providerUrl: z.string().nullable(),
  blobHash: sha256,
  width: z.int().positive().nullable(),
  height: z.int().positive().nullable(),
  contentType: z.string(),
  nsfw: z.boolean(),
});

const refSchema = z.object({
  sessionId: id,
  name: z.string().min(1).max(256),
  turnId: id,
  createdAt: epochMs,
});

const blobSchema = z.object({
  hash: sha256,
  size: z.int().nonnegative(),
  contentType: z.string(),
  width: z.int().positive().nullable(),
  height: z.int().positive().nullable(),
  createdAt: epochMs,
});

/** The manifest of a bundle: every row of one session, dates as epoch ms. */
export const bundleManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.union([z.literal(1), z.literal(2), z.literal(BUNDLE_VERSION)]),
  /** `sha256:<hex>` of the manifest without this field, as canonical JSON (see manifestDigest). */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be 'sha256:' and 64 lower-case hex characters").optional(),
  exportedAt: epochMs,
  /** Which library wrote the bundle; informational, for support questions. */
  exportedBy: z.object({ library: z.string(), version: z.string() }).optional(),
  session: sessionSchema,
  /** Parents before children. */
  turns: z.array(turnSchema),
  outputs: z.array(outputSchema),
  refs: z.array(refSchema),
  /** Metadata of every image the rows reference; the bytes are the `blobs/<hash>` entries. */
  blobs: z.array(blobSchema),
});

export type BundleManifest = z.infer<typeof bundleManifestSchema>;
export type ManifestSession = BundleManifest['session'];
export type ManifestTurn = BundleManifest['turns'][number];
export type ManifestOutput = BundleManifest['outputs'][number];
export type ManifestRef = BundleManifest['refs'][number];
export type ManifestBlob = BundleManifest['blobs'][number];

/**
 * Compile-time guard: type-checking fails when a table in schema.ts gains or loses a column
 * the manifest does not mirror, instead of a bundle silently dropping it.
 */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type Assert<T extends true> = T;
// A tuple, not `&`: `true & false` is `never`, which would pass.
export type ManifestMirrorsSchema = Assert<
  [SameKeys<ManifestSession, SessionRow>, SameKeys<ManifestTurn, TurnRow>, SameKeys<ManifestOutput, OutputRow>, SameKeys<ManifestRef, RefRow>, SameKeys<ManifestBlob, BlobRow>] extends [true, true, true, true, true]
    ? true
    : false
>;

/** Longest list of problems put in one error message; a mangled manifest can have thousands. */
const MAX_REPORTED_ISSUES = 20;

/**
 * Parses manifest.json. The format and version are checked before the full schema, so a
 * bundle from a newer release (whose rows may look different) gets "upgrade", not a list
 * of field errors.
 */
export function parseManifest(bytes: Buffer): BundleManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IntegrityError(`${MANIFEST_ENTRY} of the bundle is not valid JSON`, { reason: error instanceof Error ? error.message : String(error) });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw refused([{ field: '', message: `${MANIFEST_ENTRY} must hold a JSON object` }]);
  }
  const { format, version } = value as { format?: unknown; version?: unknown };
  if (format !== BUNDLE_FORMAT) {
    throw refused([{ field: 'format', message: `is ${JSON.stringify(format) ?? 'missing'}; a kontext-sessions bundle says '${BUNDLE_FORMAT}'` }]);
  }
  if (typeof version === 'number' && Number.isInteger(version) && version > BUNDLE_VERSION) {
    throw refused([
      { field: 'version', message: `bundle format version ${version} is newer than this kontext-sessions supports (${BUNDLE_VERSION}); upgrade to import it` },
    ]);
  }
  const result = bundleManifestSchema.safeParse(value);
  if (!result.success) throw refused(describeIssues(result.error.issues, value));
  checkDigest(value as Record<string, unknown>, result.data);
  return result.data;
}

/**
 * The digest a manifest carries: sha256 of its canonical JSON (keys sorted) without `digest`.
 * It catches a manifest changed after export (a prompt edited by hand, a truncated copy); it is
 * not a signature, so the rules checkGraph enforces still hold for every bundle.
 */
export function manifestDigest(manifest: Record<string, unknown>): string {
  const { digest: _ignored, ...rest } = manifest;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

function checkDigest(raw: Record<string, unknown>, manifest: BundleManifest): void {
  if (manifest.digest === undefined) {
    if (manifest.version === 1) return;
    throw refused([{ field: 'digest', message: `is missing; a version ${manifest.version} manifest carries the sha256 of its contents` }]);
  }
  const actual = manifestDigest(raw);
  if (actual !== manifest.digest) {
    throw new IntegrityError(`${MANIFEST_ENTRY} was changed after export: its contents hash to ${actual}, but it says ${manifest.digest}`, { expected: manifest.digest, actual });
  }
}

/** A ValidationError for a bundle, listing at most MAX_REPORTED_ISSUES problems. */
export function refused(issues: readonly ValidationIssue[]): ValidationError {
  const shown = issues.length > MAX_REPORTED_ISSUES
    ? [...issues.slice(0, MAX_REPORTED_ISSUES), { field: '', message: `and ${issues.length - MAX_REPORTED_ISSUES} more problems` }]
    : issues;
  return new ValidationError(shown, 'cannot import bundle');
}
