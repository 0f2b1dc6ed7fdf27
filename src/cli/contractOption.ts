import { Option, type Command } from 'commander';

/** The API contract as the command line quotes it (src/cli/params.ts); loading it loads zod and every schema. */
export type Contract = typeof import('./params.js');

/**
 * An option whose help quotes the API contract: a schema's limits, defaults and
 * descriptions, the endpoint registry. It is registered with its flags only, which is all
 * parsing needs, and `describeContractOptions` words its help before any help can be
 * printed. Loading the contract means loading zod, a good part of `kontext`'s start-up,
 * which `kontext log` should not pay for text it never shows.
 */
export class ContractOption extends Option {
  constructor(
    flags: string,
    readonly describe: (contract: Contract) => string,
  ) {
    super(flags);
  }
}

/**
 * Words the help of the ContractOptions that these arguments may print: only when they ask
 * for help (`--help`, `-h`, `-qh`, `help <command>`), and only for the program and the
 * commands they name. It errs towards wording: `kontext edit help` (a prompt) only costs
 * loading the contract, which `edit` loads anyway.
 */
export async function describeContractOptions(program: Command, argv: readonly string[]): Promise<void> {
  if (!argv.some((arg) => arg === 'help' || arg === '--help' || /^-[^-]*h/.test(arg))) return;
  const named = program.commands.filter((command) => argv.includes(command.name()));
  const options = [program, ...named].flatMap((command) => command.options).filter((option) => option instanceof ContractOption);
  if (options.length === 0) return;
  const contract = await import('./params.js');
  for (const option of options) option.description = option.describe(contract);
}
