import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors/ValidationError.js';

/**
 * Parses `value` with `schema`, or throws a ValidationError that lists every problem as
 * "field: what was wrong, what is allowed" — e.g. `guidance_scale: 25 is above the maximum 20`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, context?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(describeIssues(result.error.issues, value), context);
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...issue.path, key].join('.'), message: 'is not a known field' });
      continue;
    }
    out.push({ field: issue.path.map(String).join('.'), message: describeIssue(issue, valueAt(input, issue.path)) });
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, received: unknown): string {
  const shown = show(received);
  switch (issue.code) {
    case 'too_big':
      if (issue.origin === 'string') return `is ${(received as string)?.length ?? '?'} characters long; the maximum is ${issue.maximum}`;
      if (issue.origin === 'array') return `has ${(received as unknown[])?.length ?? '?'} items; the maximum is ${issue.maximum}`;
      return `${shown} is above the maximum ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `needs at least ${issue.minimum} items`;
      return `${shown} is below the minimum ${issue.minimum}`;
    case 'invalid_type':
      if (received === undefined) return `is required (${issue.expected})`;
      if (issue.expected === 'int') return `${shown} is not an integer`;
      return `${shown} is a ${kindOf(received)}; expected ${issue.expected}`;
    case 'invalid_value':
      return `${shown} is not allowed; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `${shown} is not a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'nothing';
  return kindOf(value);
}
