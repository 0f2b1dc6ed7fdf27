/** Moved to sqlite/rowCodecs.ts (the SQLite store's codecs); kept so older imports still resolve. */
export * from './sqlite/rowCodecs.js';
