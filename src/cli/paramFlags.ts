import type { Command } from 'commander';
import type { KontextParamsOverrides } from '../kontext/schemas.js';
import { ContractOption } from './contractOption.js';

/** One request parameter as a flag: commander only collects the text, the zod schema judges it (src/cli/params.ts). */
export interface ParamFlag {
  flags: string;
  /** commander's camel-cased name of the flag. */
  key: string;
  /** The request field (schema key) it sets; `sync_mode` is the engine's choice, not a flag. */
  field: Exclude<keyof KontextParamsOverrides, 'sync_mode'>;
  kind: 'number' | 'string' | 'boolean';
}

export const PARAM_FLAGS: readonly ParamFlag[] = [
  { flags: '--seed <n>', key: 'seed', field: 'seed', kind: 'number' },
  { flags: '--guidance <n>', key: 'guidance', field: 'guidance_scale', kind: 'number' },
  { flags: '--num-images <n>', key: 'numImages', field: 'num_images', kind: 'number' },
  { flags: '--format <format>', key: 'format', field: 'output_format', kind: 'string' },
  { flags: '--aspect <ratio>', key: 'aspect', field: 'aspect_ratio', kind: 'string' },
  { flags: '--safety <level>', key: 'safety', field: 'safety_tolerance', kind: 'string' },
  { flags: '--enhance', key: 'enhance', field: 'enhance_prompt', kind: 'boolean' },
  { flags: '--steps <n>', key: 'steps', field: 'steps', kind: 'number' },
  { flags: '--width <px>', key: 'width', field: 'width', kind: 'number' },
  { flags: '--height <px>', key: 'height', field: 'height', kind: 'number' },
];

/** Adds the request-parameter flags to a command (`edit`, `whatif`); their help is worded from the schema. */
export function addParamFlags(command: Command): Command {
  for (const flag of PARAM_FLAGS) command.addOption(new ContractOption(flag.flags, (contract) => contract.PARAM_HELP[flag.field]));
  return command;
}
