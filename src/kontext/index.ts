export * from './schemas.js';
export * from './endpoints.js';
export { parseOrThrow, describeIssues } from './validation.js';
