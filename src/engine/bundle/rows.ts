import type { BlobRow, OutputRow, RefRow, SessionRow, TurnRow } from '../../store/schema.js';
import type { ManifestBlob, ManifestOutput, ManifestRef, ManifestSession, ManifestTurn } from './manifest.js';

/** The rows of one session as the store holds them. */
export interface SessionGraph {
  session: SessionRow;
  turns: TurnRow[];
  outputs: OutputRow[];
  refs: RefRow[];
  blobs: BlobRow[];
}

// Conversions between store rows (Date objects) and manifest rows (epoch ms). Each side is
// typed as the other's row, so a date column added to schema.ts without being converted
// here fails to type-check (a Date is not a number). JSON columns are typed `unknown` in
// the store but were parsed from JSON, hence the casts to the manifest's JSON type.

const ms = (date: Date): number => date.getTime();
const msOrNull = (date: Date | null): number | null => (date === null ? null : date.getTime());
const date = (value: number): Date => new Date(value);
const dateOrNull = (value: number | null): Date | null => (value === null ? null : new Date(value));

export function sessionToManifest(row: SessionRow): ManifestSession {
  return {
    ...row,
    defaultParams: row.defaultParams as ManifestSession['defaultParams'],
    createdAt: ms(row.createdAt),
    updatedAt: ms(row.updatedAt),
  };
}

export function sessionFromManifest(row: ManifestSession): SessionRow {
  return { ...row, createdAt: date(row.createdAt), updatedAt: date(row.updatedAt) };
}

export function turnToManifest(row: TurnRow): ManifestTurn {
  return {
    ...row,
    // These are typed unknown but came out of JSON columns, so they are JSON.
    errorDetail: (row.errorDetail ?? null) as ManifestTurn['errorDetail'],
    params: row.params as ManifestTurn['params'],
    providerHandle: row.providerHandle as ManifestTurn['providerHandle'],
    submitAttemptedAt: msOrNull(row.submitAttemptedAt),
    // A lease names this machine's process (`host:pid:engine`): meaningless elsewhere, and
    // not ours to publish. The importing engine takes unfinished turns over as unclaimed.
    leaseOwner: null,
    leaseExpiresAt: null,
    createdAt: ms(row.createdAt),
    startedAt: msOrNull(row.startedAt),
    finishedAt: msOrNull(row.finishedAt),
    pinnedAt: msOrNull(row.pinnedAt),
  };
}

export function turnFromManifest(row: ManifestTurn): TurnRow {
  return {
    ...row,
    submitAttemptedAt: dateOrNull(row.submitAttemptedAt),
    leaseExpiresAt: dateOrNull(row.leaseExpiresAt),
    createdAt: date(row.createdAt),
    startedAt: dateOrNull(row.startedAt),
    finishedAt: dateOrNull(row.finishedAt),
    pinnedAt: dateOrNull(row.pinnedAt),
  };
}

export function outputToManifest(row: OutputRow): ManifestOutput {
  return { ...row };
}

export function outputFromManifest(row: ManifestOutput): OutputRow {
  return { ...row };
}

export function refToManifest(row: RefRow): ManifestRef {
  return { ...row, createdAt: ms(row.createdAt) };
}

export function refFromManifest(row: ManifestRef): RefRow {
  return { ...row, createdAt: date(row.createdAt) };
}

export function blobToManifest(row: BlobRow): ManifestBlob {
  return { ...row, createdAt: ms(row.createdAt) };
}

export function blobFromManifest(row: ManifestBlob): BlobRow {
  return { ...row, createdAt: date(row.createdAt) };
}
