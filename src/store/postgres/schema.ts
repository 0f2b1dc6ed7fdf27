import { sql } from 'drizzle-orm';
import { bigint, boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import type { TurnKind, TurnStatus } from '../../model/Turn.js';
import type { QualitySettings, TurnDrift, TurnQualityOptions, TurnSizes } from '../../quality/types.js';
import type * as Rows from '../rows.js';

/**
 * The PostgreSQL schema: the same tables, columns and indexes as sqlite/schema.ts (documented
 * there), in PostgreSQL's types: jsonb, timestamptz (milliseconds) and bigint money.
 * `npm run db:generate` turns changes here into a migration under migrations/postgres/.
 */

const ms = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
const createdAt = () => ms('created_at').notNull().$defaultFn(() => new Date());
/** Micro-dollars: a bigint, so a budget is never capped at int4's $2,147. */
const micros = (name: string) => bigint(name, { mode: 'number' });

export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  title: text('title').notNull().default(''),
  owner: text('owner'),
  headTurnId: text('head_turn_id'),
  headRef: text('head_ref'),
  redoStack: jsonb('redo_stack').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  defaultEndpoint: text('default_endpoint').notNull(),
  defaultParams: jsonb('default_params').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  budgetMicros: micros('budget_micros'),
  quality: jsonb('quality').$type<QualitySettings>().notNull().default(sql`'{}'::jsonb`),
  createdAt: createdAt(),
  updatedAt: ms('updated_at').notNull().$defaultFn(() => new Date()),
}, (t) => [index('sessions_owner_idx').on(t.owner)]);

export const blobs = pgTable('blobs', {
  hash: text('hash').primaryKey(),
  size: bigint('size', { mode: 'number' }).notNull(),
  contentType: text('content_type').notNull(),
  width: integer('width'),
  height: integer('height'),
  createdAt: createdAt(),
});

export const turns = pgTable('turns', {
  id: text('id').primaryKey(),
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  parentId: text('parent_id'),
  depth: integer('depth').notNull(),
  kind: text('kind').$type<TurnKind>().notNull(),
  endpointId: text('endpoint_id'),
  provider: text('provider'),
  prompt: text('prompt'),
  params: jsonb('params').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  seedRequested: bigint('seed_requested', { mode: 'number' }),
  seedUsed: bigint('seed_used', { mode: 'number' }),
  status: text('status').$type<TurnStatus>().notNull(),
  requestId: text('request_id'),
  providerHandle: jsonb('provider_handle').$type<Record<string, unknown>>(),
  errorCode: text('error_code'),
  errorMessage: text('error_message'),
  errorDetail: jsonb('error_detail').$type<unknown>(),
  timings: jsonb('timings').$type<Record<string, number>>(),
  costMicros: micros('cost_micros').notNull().default(0),
  selectedOutput: integer('selected_output').notNull().default(0),
  inputBlob: text('input_blob').references(() => blobs.hash),
  /** Reference images sent beside the input, in order: a JSON list of blob hashes. */
  referenceBlobs: jsonb('reference_blobs').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  originTurnId: text('origin_turn_id'),
  originKind: text('origin_kind').$type<'memo' | 'replay-exact' | 'replay-fresh' | 'whatif' | 'fork'>(),
  submitAttemptedAt: ms('submit_attempted_at'),
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: ms('lease_expires_at'),
  createdAt: createdAt(),
  startedAt: ms('started_at'),
  finishedAt: ms('finished_at'),
  sizes: jsonb('sizes').$type<TurnSizes>(),
  qualityOptions: jsonb('quality_options').$type<TurnQualityOptions>(),
  drift: jsonb('drift').$type<TurnDrift>(),
  pinnedAt: ms('pinned_at'),
  segmentId: text('segment_id'),
}, (t) => [
  // A constraint, not an index as in SQLite: PostgreSQL creates it with the table, before the
  // composite foreign keys that reference it.
  unique('turns_id_session_uq').on(t.id, t.sessionId),
  index('turns_session_order_idx').on(t.sessionId, t.depth, t.createdAt, t.id),
  index('turns_parent_idx').on(t.parentId),
  index('turns_in_flight_idx').on(t.createdAt).where(sql`status in ('pending', 'submitted', 'running')`),
  index('turns_pinned_idx').on(t.sessionId, t.pinnedAt).where(sql`pinned_at is not null`),
  index('turns_memo_idx').on(t.endpointId, t.inputBlob, t.seedRequested).where(sql`seed_requested is not null`),
  uniqueIndex('turns_segment_depth_uq').on(t.segmentId, t.depth),
  index('turns_segment_path_idx').on(t.segmentId, t.depth, t.id),
  // Leases are renewed by owner every few seconds, from every instance of a fleet.
  index('turns_lease_owner_idx').on(t.leaseOwner).where(sql`lease_owner is not null`),
  foreignKey({ columns: [t.parentId, t.sessionId], foreignColumns: [t.id, t.sessionId], name: 'turns_parent_same_session_fk' }).onDelete('cascade'),
]);

export const outputs = pgTable('outputs', {
  turnId: text('turn_id').notNull().references(() => turns.id, { onDelete: 'cascade' }),
  index: integer('idx').notNull(),
  providerUrl: text('provider_url'),
  blobHash: text('blob_hash').notNull().references(() => blobs.hash),
  width: integer('width'),
  height: integer('height'),
  contentType: text('content_type').notNull(),
  nsfw: boolean('nsfw').notNull().default(false),
}, (t) => [primaryKey({ columns: [t.turnId, t.index] })]);

export const refs = pgTable('refs', {
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
