export * from './schemas.js';
export * from './endpoints.js';
export { parseOrThrow, describeIssues } from './validation.js';
export * from './capabilities.js';
export { IMAGE_FIELDS, REFERENCE_FIELD, type ImageLayout } from './imageFields.js';
export { checkReferenceCount } from './referenceCount.js';
