// The CLI imports documents.js and lines.js directly: schemas.js loads zod, which a read-only
// command does not need.
export * from './documents.js';
export * from './lines.js';
export * from './schemas.js';
