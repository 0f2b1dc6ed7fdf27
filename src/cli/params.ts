import { ValidationError } from '../errors/ValidationError.js';
import { DEFAULT_ENDPOINTS, FAL_KONTEXT_PRO, LOCAL_KONTEXT_SIM } from '../kontext/endpoints.js';
import { ASPECT_RATIOS, KontextParams, KontextParamsOverrides, MAX_SEED, OUTPUT_FORMATS, SAFETY_TOLERANCES } from '../kontext/schemas.js';
import { parseOrThrow } from '../kontext/validation.js';
import { PARAM_FLAGS, type ParamFlag } from './paramFlags.js';

/*
 * The API contract as the command line quotes and applies it. This module loads zod and
 * every schema, so it is imported only by commands that validate request parameters and
 * when help may be printed (src/cli/contractOption.ts), never at start-up.
 */

export { FAL_KONTEXT_PRO, LOCAL_KONTEXT_SIM };

/** The edit endpoints `--endpoint` accepts, for help texts (the registry still decides). */
export const EDIT_ENDPOINTS = DEFAULT_ENDPOINTS.filter((e) => e.kind === 'edit').map((e) => e.id);

/** The request defaults the schema applies when neither the turn nor the session sets a value. */
const DEFAULTS = KontextParams.parse({});

const sessionOr = (value: unknown) => `(default: the session's, else ${String(value)})`;
/** A schema's own description, as a help phrase: `How closely… 1 to 20.` → `how closely… 1 to 20`. */
const phrase = (text: string | undefined, fallback: string) => (text ? text.charAt(0).toLowerCase() + text.slice(1).replace(/\.$/, '') : fallback);

/** The help of each request-parameter flag, worded from the schema. */
export const PARAM_HELP: Readonly<Record<ParamFlag['field'], string>> = {
  seed: `seed, 0 to ${MAX_SEED}; the same seed, prompt and image give the same result (default: random)`,
  guidance_scale: `${phrase(KontextParams.shape.guidance_scale.description, 'guidance scale')} ${sessionOr(DEFAULTS.guidance_scale)}`,
  num_images: `${phrase(KontextParams.shape.num_images.description, 'number of candidates')} ${sessionOr(DEFAULTS.num_images)}`,
  output_format: `output image format: ${OUTPUT_FORMATS.join(' or ')} ${sessionOr(DEFAULTS.output_format)}`,
  aspect_ratio: `aspect ratio: ${ASPECT_RATIOS.join(', ')} (default: the session's, else the input image's)`,
  safety_tolerance: `safety tolerance, ${SAFETY_TOLERANCES[0]} (strictest) to ${SAFETY_TOLERANCES.at(-1)} (most permissive) ${sessionOr(DEFAULTS.safety_tolerance)}`,
  enhance_prompt: `let the model rewrite the prompt ${sessionOr(DEFAULTS.enhance_prompt)}`,
  steps: `${phrase(KontextParamsOverrides.shape.steps.description, 'sampling steps')} (default: the model's)`,
  width: `${phrase(KontextParamsOverrides.shape.width.description, 'output width')} (default: the model's)`,
  height: `${phrase(KontextParamsOverrides.shape.height.description, 'output height')} (default: the model's)`,
};

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
