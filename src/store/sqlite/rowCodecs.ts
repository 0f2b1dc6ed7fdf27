import type { BlobRow, OutputRow, RefRow, SessionRow, TurnRow } from '../rows.js';

/**
 * Rows between SQLite and JavaScript, by hand. The store runs its hot queries as prepared
 * statements returning arrays (better-sqlite3 `raw`), decoded here in one pass: drizzle's
 * query builder rebuilt and re-prepared every statement and mapped every column through
 * generic code, which was most of an edit turn's CPU. The column lists below must match
 * schema.ts; test/store/rowCodecs.test.ts checks that they do.
 */

/** How a column is stored: as is, JSON text, epoch-ms integer, or 0/1. */
type Kind = 'plain' | 'json' | 'date' | 'bool';

interface Column<Row> {
  key: keyof Row & string;
  sql: string;
  kind: Kind;
}

/** A table's column list, in SELECT order, with the conversions each column needs. */
export class RowCodec<Row> {
  /** `a, b, c`: the SELECT list (optionally qualified with a table alias). */
  readonly select: string;
  private readonly byKey: Map<string, Column<Row>>;
  /** Builds one row from the values of `select`, in order. */
  readonly decode: (values: readonly unknown[]) => Row;

  constructor(
    readonly table: string,
    readonly columns: readonly Column<Row>[],
  ) {
    this.select = columns.map((c) => `${table}.${c.sql}`).join(', ');
    this.byKey = new Map(columns.map((c) => [c.key, c]));
    this.decode = compileDecoder(columns);
  }

  /** A codec for some of the columns (a narrow read), in the order given. */
  pick<Narrow>(keys: readonly (keyof Row & keyof Narrow & string)[]): RowCodec<Narrow> {
    return new RowCodec<Narrow>(this.table, keys.map((key) => this.column(key) as unknown as Column<Narrow>));
  }

  /** The SQL column name of a row key. */
  sqlName(key: keyof Row & string): string {
    return this.column(key).sql;
  }

  /** The value to bind for `key`. */
  encode(key: keyof Row & string, value: unknown): unknown {
    return toDriver(this.column(key).kind, value);
  }

  /** Every column's bound value of a whole row, in column order. */
  encodeRow(row: Row): unknown[] {
    return this.columns.map((c) => toDriver(c.kind, row[c.key]));
  }

  private column(key: string): Column<Row> {
    const column = this.byKey.get(key);
    if (!column) throw new Error(`${this.table} has no column for '${key}'`);
    return column;
  }
}

/**
 * A decoder for the array SQLite returns for `select`, generated once per table from the
 * column list (keys are identifiers from this file, never user input): one object literal
 * per row. A loop assigning keys one by one decoded a 10,000-turn log several times slower,
 * enough to miss its target (see bench/README.md).
 */
function compileDecoder<Row>(columns: readonly Column<Row>[]): (values: readonly unknown[]) => Row {
  const fields = columns.map((c, i) => {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(c.key)) throw new Error(`column key '${c.key}' is not a plain identifier`);
    const v = `v[${i}]`;
    switch (c.kind) {
      case 'plain':
        return `${c.key}: ${v} ?? null`;
      case 'json':
        return `${c.key}: ${v} == null ? null : JSON.parse(${v})`;
      case 'date':
        return `${c.key}: ${v} == null ? null : new Date(${v})`;
      case 'bool':
        return `${c.key}: ${v} == null ? null : ${v} === 1 || ${v} === 1n`;
    }
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- built from the fixed column list above
  return new Function('v', `return { ${fields.join(', ')} };`) as (values: readonly unknown[]) => Row;
}

function toDriver(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'plain':
      return value;
    case 'json':
      return JSON.stringify(value);
    case 'date':
      return (value as Date).getTime();
    case 'bool':
      return value ? 1 : 0;
  }
}

const col = <Row>(key: keyof Row & string, sql: string, kind: Kind = 'plain'): Column<Row> => ({ key, sql, kind });

export const sessionCodec = new RowCodec<SessionRow>('sessions', [
  col('id', 'id'),
  col('title', 'title'),
  col('owner', 'owner'),
  col('headTurnId', 'head_turn_id'),
  col('headRef', 'head_ref'),
  col('redoStack', 'redo_stack', 'json'),
  col('defaultEndpoint', 'default_endpoint'),
  col('defaultParams', 'default_params', 'json'),
  col('budgetMicros', 'budget_micros'),
  col('quality', 'quality', 'json'),
  col('createdAt', 'created_at', 'date'),
  col('updatedAt', 'updated_at', 'date'),
]);

export const turnCodec = new RowCodec<TurnRow>('turns', [
  col('id', 'id'),
  col('sessionId', 'session_id'),
  col('parentId', 'parent_id'),
  col('depth', 'depth'),
  col('kind', 'kind'),
  col('endpointId', 'endpoint_id'),
  col('provider', 'provider'),
  col('prompt', 'prompt'),
  col('params', 'params', 'json'),
  col('seedRequested', 'seed_requested'),
  col('seedUsed', 'seed_used'),
  col('status', 'status'),
  col('requestId', 'request_id'),
  col('providerHandle', 'provider_handle', 'json'),
  col('errorCode', 'error_code'),
  col('errorMessage', 'error_message'),
  col('errorDetail', 'error_detail', 'json'),
  col('timings', 'timings', 'json'),
  col('costMicros', 'cost_micros'),
  col('selectedOutput', 'selected_output'),
  col('inputBlob', 'input_blob'),
  col('referenceBlobs', 'reference_blobs', 'json'),
  col('originTurnId', 'origin_turn_id'),
  col('originKind', 'origin_kind'),
  col('submitAttemptedAt', 'submit_attempted_at', 'date'),
  col('leaseOwner', 'lease_owner'),
  col('leaseExpiresAt', 'lease_expires_at', 'date'),
  col('createdAt', 'created_at', 'date'),
  col('startedAt', 'started_at', 'date'),
  col('finishedAt', 'finished_at', 'date'),
  col('sizes', 'sizes', 'json'),
  col('qualityOptions', 'quality_options', 'json'),
  col('drift', 'drift', 'json'),
  col('pinnedAt', 'pinned_at', 'date'),
]);

export const outputCodec = new RowCodec<OutputRow>('outputs', [
  col('turnId', 'turn_id'),
  col('index', 'idx'),
  col('providerUrl', 'provider_url'),
  col('blobHash', 'blob_hash'),
  col('width', 'width'),
  col('height', 'height'),
  col('contentType', 'content_type'),
  col('nsfw', 'nsfw', 'bool'),
]);

export const blobCodec = new RowCodec<BlobRow>('blobs', [
  col('hash', 'hash'),
  col('size', 'size'),
  col('contentType', 'content_type'),
  col('width', 'width'),
  col('height', 'height'),
  col('createdAt', 'created_at', 'date'),
]);

export const refCodec = new RowCodec<RefRow>('refs', [
  col('sessionId', 'session_id'),
  col('name', 'name'),
  col('turnId', 'turn_id'),
  col('createdAt', 'created_at', 'date'),
]);
