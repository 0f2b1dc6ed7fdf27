import { Option, type Command } from 'commander';
import { ValidationError } from '../errors/ValidationError.js';
import { DEFAULT_ENDPOINTS } from '../kontext/endpoints.js';
import { ASPECT_RATIOS, KontextParams, KontextParamsOverrides, MAX_SEED, OUTPUT_FORMATS, SAFETY_TOLERANCES } from '../kontext/schemas.js';
import { parseOrThrow } from '../kontext/validation.js';

/** The edit endpoints `--endpoint` accepts, for help texts (the registry still decides). */
export const EDIT_ENDPOINTS = DEFAULT_ENDPOINTS.filter((e) => e.kind === 'edit').map((e) => e.id);

/** The request defaults the schema applies when neither the turn nor the session sets a value. */
const DEFAULTS = KontextParams.parse({});

/** One request parameter as a flag: commander only collects the text, the zod schema judges it. */
interface ParamFlag {
  flags: string;
  /** commander's camel-cased name of the flag. */
  key: string;
  /** The request field (schema key) it sets. */
  field: keyof KontextParamsOverrides;
  kind: 'number' | 'string' | 'boolean';
  description: string;
}

const sessionOr = (value: unknown) => `(default: the session's, else ${String(value)})`;
/** A schema's own description, as a help phrase: `How closely… 1 to 20.` → `how closely… 1 to 20`. */
const phrase = (text: string | undefined, fallback: string) => (text ? text.charAt(0).toLowerCase() + text.slice(1).replace(/\.$/, '') : fallback);

export const PARAM_FLAGS: readonly ParamFlag[] = [
  { flags: '--seed <n>', key: 'seed', field: 'seed', kind: 'number', description: `seed, 0 to ${MAX_SEED}; the same seed, prompt and image give the same result (default: random)` },
  { flags: '--guidance <n>', key: 'guidance', field: 'guidance_scale', kind: 'number', description: `${phrase(KontextParams.shape.guidance_scale.description, 'guidance scale')} ${sessionOr(DEFAULTS.guidance_scale)}` },
  { flags: '--num-images <n>', key: 'numImages', field: 'num_images', kind: 'number', description: `${phrase(KontextParams.shape.num_images.description, 'number of candidates')} ${sessionOr(DEFAULTS.num_images)}` },
  { flags: '--format <format>', key: 'format', field: 'output_format', kind: 'string', description: `output image format: ${OUTPUT_FORMATS.join(' or ')} ${sessionOr(DEFAULTS.output_format)}` },
  { flags: '--aspect <ratio>', key: 'aspect', field: 'aspect_ratio', kind: 'string', description: `aspect ratio: ${ASPECT_RATIOS.join(', ')} (default: the session's, else the input image's)` },
  { flags: '--safety <level>', key: 'safety', field: 'safety_tolerance', kind: 'string', description: `safety tolerance, ${SAFETY_TOLERANCES[0]} (strictest) to ${SAFETY_TOLERANCES.at(-1)} (most permissive) ${sessionOr(DEFAULTS.safety_tolerance)}` },
  { flags: '--enhance', key: 'enhance', field: 'enhance_prompt', kind: 'boolean', description: `let the model rewrite the prompt ${sessionOr(DEFAULTS.enhance_prompt)}` },
];

/** Adds the request-parameter flags to a command (`edit`, `whatif`). */
export function addParamFlags(command: Command): Command {
  for (const flag of PARAM_FLAGS) command.addOption(new Option(flag.flags, flag.description));
  return command;
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Turns the parameter flags into request overrides and validates them with the same zod
 * schema the library and the server use, so `--guidance 25` is refused with the schema's own
 * words: `guidance_scale: 25 is above the maximum 20 (--guidance)`. Flags not given are left
 * out, so the session's defaults still apply.
 */
export function paramsFromFlags(options: Record<string, unknown>): KontextParamsOverrides {
  const raw: Record<string, unknown> = {};
  for (const flag of PARAM_FLAGS) {
    const value = options[flag.key];
    if (value === undefined) continue;
    // A number-like text becomes a number; anything else is passed as typed, so the schema
    // reports `"abc" is a string; expected number` rather than something about NaN.
    raw[flag.field] = flag.kind === 'number' && typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value) : value;
  }
  try {
    return parseOrThrow(KontextParamsOverrides, raw);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      error.issues.map((issue) => {
        const flag = PARAM_FLAGS.find((f) => f.field === issue.field);
        return flag ? { field: issue.field, message: `${issue.message} (${flag.flags.split(' ')[0]})` } : issue;
      }),
    );
  }
}

/** Parses a whole, non-negative number given on the command line (candidate index, port). */
export function wholeNumber(text: string, field: string, max?: number): number {
  if (!/^\d+$/.test(text.trim()) || (max !== undefined && Number(text) > max)) {
    const allowed = max === undefined ? 'a whole number: 0, 1, 2, …' : `a whole number from 0 to ${max}`;
    throw new ValidationError([{ field, message: `${JSON.stringify(text)} is not allowed; allowed: ${allowed}` }]);
  }
  return Number(text);
}
