import { getTableColumns, type Table } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { blobCodec, outputCodec, refCodec, sessionCodec, turnCodec, type RowCodec } from '../../src/store/rowCodecs.js';
import { blobs, outputs, refs, sessions, turns } from '../../src/store/schema.js';
import { SessionStore } from '../../src/store/index.js';

/** The (key, SQL name, kind) drizzle knows for a table, to compare with the hand-written codec. */
function schemaColumns(table: Table, internal: readonly string[] = []) {
  return Object.entries(getTableColumns(table))
    .filter(([key]) => !internal.includes(key))
    .map(([key, column]) => {
      const kind = column.columnType === 'SQLiteTextJson' ? 'json' : column.columnType === 'SQLiteTimestamp' ? 'date' : column.columnType === 'SQLiteBoolean' ? 'bool' : 'plain';
      return { key, sql: column.name, kind };
    });
}

const codecColumns = (codec: RowCodec<unknown>) => codec.columns.map(({ key, sql, kind }) => ({ key, sql, kind }));

describe('row codecs', () => {
  it.each([
    ['sessions', sessionCodec, sessions, []],
    ['turns', turnCodec, turns, ['segmentId']],
    ['outputs', outputCodec, outputs, []],
    ['blobs', blobCodec, blobs, []],
    ['refs', refCodec, refs, []],
  ] as const)('%s: the codec has every column of schema.ts, with its SQL name and conversion', (_name, codec, table, internal) => {
    expect(codecColumns(codec as RowCodec<unknown>)).toEqual(schemaColumns(table, internal));
  });

  it('round-trips every kind of value through SQLite', async () => {
    const store = SessionStore.inMemory();
    const session = await store.createSession({ title: 'round trip', defaultEndpoint: 'e', defaultParams: { seed: 3, nested: { a: [1, 'b'] } }, budgetMicros: 5 });
    expect(await store.getSession(session.id)).toEqual(session);
    const root = await store.appendTurn({ sessionId: session.id, parentId: null, kind: 'source', status: 'succeeded' });
    const patched = await store.patchTurn(root.id, { errorDetail: { why: ['x'] }, timings: { a: 1.5 }, submitAttemptedAt: new Date(1234), seedUsed: 0 });
    const read = await store.getTurn(root.id);
    expect(read).toEqual(patched);
    expect(read).toMatchObject({ errorDetail: { why: ['x'] }, timings: { a: 1.5 }, seedUsed: 0, providerHandle: null, finishedAt: null });
    expect(read.submitAttemptedAt).toEqual(new Date(1234));
    await store.recordBlob({ hash: 'b'.repeat(64), size: 2, contentType: 'image/png', width: null, height: 4 });
    const done = await store.appendTurn(
      { sessionId: session.id, parentId: root.id, kind: 'edit' },
      { complete: { outputs: [{ index: 0, providerUrl: null, blobHash: 'b'.repeat(64), width: null, height: 4, contentType: 'image/png', nsfw: true }] } },
    );
    expect(await store.outputsOf(done.id)).toEqual([{ turnId: done.id, index: 0, providerUrl: null, blobHash: 'b'.repeat(64), width: null, height: 4, contentType: 'image/png', nsfw: true }]);
    expect(await store.findBlob('b'.repeat(64))).toMatchObject({ width: null, height: 4, size: 2 });
    store.close();
  });
});
