import { sql } from 'drizzle-orm';
import type { TurnKind, TurnStatus } from '../../model/Turn.js';
import type { QualitySettings, TurnDrift, TurnQualityOptions, TurnSizes } from '../../quality/types.js';
import type * as Rows from '../rows.js';
import { foreignKey, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The durable model of a session: a tree of turns, their outputs, named refs and a
 * content-addressed archive of every image that went in or came out.
 * `npm run db:generate` turns changes here into a migration under migrations/sqlite/ (and
 * src/store/postgres/schema.ts's into migrations/postgres/: change both together).
 */

const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().$defaultFn(() => new Date());

export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  title: text('title').notNull().default(''),
  /** Who may see the session through the server (token owner); null for local use. */
  owner: text('owner'),
  /** No FK: HEAD may briefly point at a turn written in the same transaction. Checked by the store. */
  headTurnId: text('head_turn_id'),
  /** The branch HEAD is attached to (edits from its tip advance it), or null when detached. */
  headRef: text('head_ref'),
  /** Turns we undid from, most recent last, so redo walks back down the same path. */
  redoStack: text('redo_stack', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  defaultEndpoint: text('default_endpoint').notNull(),
  defaultParams: text('default_params', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  /** Optional spending cap in micro-dollars; a turn that would pass it is refused before submitting. */
  budgetMicros: integer('budget_micros'),
  /** Edit-quality settings (size pinning, resize back, drift warning thresholds). */
  quality: text('quality', { mode: 'json' }).$type<QualitySettings>().notNull().default(sql`'{}'`),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().$defaultFn(() => new Date()),
}, (t) => [index('sessions_owner_idx').on(t.owner)]);

export const blobs = sqliteTable('blobs', {
  /** Lower-case hex sha256 of the bytes; the file lives at `<blobs>/<hash[0..2]>/<hash[2..]>`. */
  hash: text('hash').primaryKey(),
  size: integer('size').notNull(),
  contentType: text('content_type').notNull(),
  width: integer('width'),
  height: integer('height'),
  createdAt: createdAt(),
});

export const turns = sqliteTable('turns', {
  id: text('id').primaryKey(),
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  /** Null only for a session's root. Must be a turn of the same session (composite FK below). */
  parentId: text('parent_id'),
  depth: integer('depth').notNull(),
  kind: text('kind').$type<TurnKind>().notNull(),
  endpointId: text('endpoint_id'),
  provider: text('provider'),
  prompt: text('prompt'),
  /** The validated request exactly as sent (a data-URI image_url is elided to its blob hash). */
  params: text('params', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  seedRequested: integer('seed_requested'),
  seedUsed: integer('seed_used'),
  status: text('status').$type<TurnStatus>().notNull(),
  requestId: text('request_id'),
  /** Provider-specific handle needed to resume (fal: the status/response/cancel URLs it returned). */
  providerHandle: text('provider_handle', { mode: 'json' }).$type<Record<string, unknown>>(),
  errorCode: text('error_code'),
  errorMessage: text('error_message'),
  errorDetail: text('error_detail', { mode: 'json' }).$type<unknown>(),
  timings: text('timings', { mode: 'json' }).$type<Record<string, number>>(),
  /** Actual cost once finished; while unfinished, the estimate reserved against the budget. */
  costMicros: integer('cost_micros').notNull().default(0),
  /** Which output candidate the next turn continues from. */
  selectedOutput: integer('selected_output').notNull().default(0),
  inputBlob: text('input_blob').references(() => blobs.hash),
  /**
   * sha256 of each reference image sent beside the input image, in the order sent: archived
   * blobs like the input (a JSON list, checked by the engine when written; empty for most turns).
   */
  referenceBlobs: text('reference_blobs', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  /** Provenance: the turn whose outputs were reused (memo or exact replay) or re-run (fresh replay, what-if). */
  originTurnId: text('origin_turn_id'),
  originKind: text('origin_kind').$type<'memo' | 'replay-exact' | 'replay-fresh' | 'whatif' | 'fork'>(),
  /**
   * Set just before the submit request is sent. A pending turn with this set and no request id
   * may have been accepted by the provider: resuming must not submit it again.
   */
  submitAttemptedAt: integer('submit_attempted_at', { mode: 'timestamp_ms' }),
  /** Which live engine is running this turn (`host:pid:engine`), so another process does not run it twice. */
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: integer('lease_expires_at', { mode: 'timestamp_ms' }),
  createdAt: createdAt(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  /** Input, output and source sizes of an edit, and whether the provider changed the shape. */
  sizes: text('sizes', { mode: 'json' }).$type<TurnSizes>(),
  /** Per-turn quality choices that override the session's (region preservation). */
  qualityOptions: text('quality_options', { mode: 'json' }).$type<TurnQualityOptions>(),
  /** Drift of the selected output against the parent's and the root's image; set once succeeded. */
  drift: text('drift', { mode: 'json' }).$type<TurnDrift>(),
  /** When the turn was pinned as a favourite (`kontext pin`), or null: pins list in the order they were made. */
  pinnedAt: integer('pinned_at', { mode: 'timestamp_ms' }),
  /**
   * The store's own index of the tree, never part of a TurnRow: the turns of a session are cut
   * into chains ("segments"), each named by its first turn. A turn continues its parent's
   * segment when it is the parent's first child, and starts a new one otherwise (a branch).
   * A path root → turn is then one range of (segment, depth) per fork on it, instead of one
   * lookup per ancestor: a 10,000-turn path costs a few range scans, not 10,000 steps.
   */
  segmentId: text('segment_id'),
}, (t) => [
  uniqueIndex('turns_id_session_uq').on(t.id, t.sessionId),
  // A session's turns in tree order (parents first, siblings oldest first) straight from the
  // index: `kontext log --all` reads 10,000 turns without a sort.
  index('turns_session_order_idx').on(t.sessionId, t.depth, t.createdAt, t.id),
  index('turns_parent_idx').on(t.parentId),
  // Only unfinished turns (resume, lease renewal): finished ones, nearly all of them, cost the
  // index nothing, and a turn's final write takes its entry out instead of moving it. The
  // condition is IN_FLIGHT_SQL's, term for term, or SQLite would not use the index.
  index('turns_in_flight_idx').on(t.createdAt).where(sql`status in ('pending', 'submitted', 'running')`),
  // Only pinned turns, a handful per session: listing a session's pins reads nothing else.
  index('turns_pinned_idx').on(t.sessionId, t.pinnedAt).where(sql`pinned_at is not null`),
  // Memo hits need a fixed seed: turns without one (most edits) are never looked up here.
  index('turns_memo_idx').on(t.endpointId, t.inputBlob, t.seedRequested).where(sql`seed_requested is not null`),
  // One turn per depth in a segment (the chain property); the second index also carries the
  // id, so listing a path's ids never reads the table.
  uniqueIndex('turns_segment_depth_uq').on(t.segmentId, t.depth),
  index('turns_segment_path_idx').on(t.segmentId, t.depth, t.id),
  foreignKey({ columns: [t.parentId, t.sessionId], foreignColumns: [t.id, t.sessionId], name: 'turns_parent_same_session_fk' }).onDelete('cascade'),
]);

export const outputs = sqliteTable('outputs', {
  turnId: text('turn_id').notNull().references(() => turns.id, { onDelete: 'cascade' }),
  index: integer('idx').notNull(),
  providerUrl: text('provider_url'),
  blobHash: text('blob_hash').notNull().references(() => blobs.hash),
  width: integer('width'),
  height: integer('height'),
  contentType: text('content_type').notNull(),
  nsfw: integer('nsfw', { mode: 'boolean' }).notNull().default(false),
}, (t) => [primaryKey({ columns: [t.turnId, t.index] })]);

export const refs = sqliteTable('refs', {
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  turnId: text('turn_id').notNull(),
  createdAt: createdAt(),
}, (t) => [
  primaryKey({ columns: [t.sessionId, t.name] }),
  foreignKey({ columns: [t.turnId, t.sessionId], foreignColumns: [turns.id, turns.sessionId], name: 'refs_turn_same_session_fk' }).onDelete('cascade'),
]);

/** The drizzle rows are the store's row types, column for column (a mismatch does not compile). */
const rowsMatch: [
  Rows.SameRow<typeof sessions.$inferSelect, Rows.SessionRow>,
  Rows.SameRow<Omit<typeof turns.$inferSelect, 'segmentId'>, Rows.TurnRow>,
  Rows.SameRow<typeof outputs.$inferSelect, Rows.OutputRow>,
  Rows.SameRow<typeof blobs.$inferSelect, Rows.BlobRow>,
  Rows.SameRow<typeof refs.$inferSelect, Rows.RefRow>,
] = [true, true, true, true, true];
void rowsMatch;
