import { KontextError } from './KontextError.js';

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `guidance_scale` or `images.0.url`. */
  field: string;
  /** What was wrong and what is allowed, e.g. `25 is above the maximum 20`. */
  message: string;
}

/** Input was refused before anything was sent or spent; lists every problem at once. */
export class ValidationError extends KontextError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], context?: string) {
    const list = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
    super('VALIDATION', context ? `${context}: ${list}` : list, { details: { issues } });
    this.issues = issues;
  }
}
