import { ValidationError } from '../errors/ValidationError.js';

/** Parses a whole, non-negative number given on the command line (candidate index, port). */
export function wholeNumber(text: string, field: string, max?: number): number {
  if (!/^\d+$/.test(text.trim()) || (max !== undefined && Number(text) > max)) {
    const allowed = max === undefined ? 'a whole number: 0, 1, 2, …' : `a whole number from 0 to ${max}`;
    throw new ValidationError([{ field, message: `${JSON.stringify(text)} is not allowed; allowed: ${allowed}` }]);
  }
  return Number(text);
}
