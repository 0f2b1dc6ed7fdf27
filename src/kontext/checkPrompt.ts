import { ValidationError } from '../errors/ValidationError.js';
import { MAX_PROMPT_LENGTH } from './schemas.js';

/**
 * The prompt a caller gave, trimmed, or a ValidationError naming `prompt`: not a string, empty,
 * or too long. Every entry point that takes a new prompt (edit, start from a prompt, what-if)
 * passes it here first, so they refuse the same things with the same words.
 */
export function checkPrompt(prompt: unknown): string {
  if (typeof prompt !== 'string') throw new ValidationError([{ field: 'prompt', message: `is a ${typeof prompt}; expected a string` }]);
  const trimmed = prompt.trim();
  // Format characters (U+200B zero-width space and the like) show nothing: a prompt of only those is empty.
  if (trimmed.replace(/[\p{Cf}\s]/gu, '').length === 0) throw new ValidationError([{ field: 'prompt', message: 'must not be empty (it has no visible characters)' }]);
  if (trimmed.length > MAX_PROMPT_LENGTH) throw new ValidationError([{ field: 'prompt', message: `is ${trimmed.length} characters long; the maximum is ${MAX_PROMPT_LENGTH}` }]);
  return trimmed;
}
