import { CommanderError } from 'commander';
import { isKontextError } from '../errors/KontextError.js';
import { oneLine } from '../format/oneLine.js';
import { keyRedactor } from '../providers/fal/redact.js';
import { EXIT, exitCodeFor, type ExitCode } from './exitCodes.js';

/** What a command hands back: the same result as a JSON document and as text. */
export interface CommandResult {
  /** Printed (as one JSON document) with `--json`. */
  data: unknown;
  /**
   * Printed on stdout otherwise: one entry per line (any control character in it, a stored
   * prompt's escape sequence say, shown as a space), or the text already encoded (UTF-8,
   * each line ending in `\n`, made safe by whoever encoded it) when it is too large to hold
   * as strings (`log` on 10,000 turns).
   */
  text: readonly string[] | Uint8Array;
  /**
   * Set when the command ran but its operation failed (a turn ended failed or cancelled): one
   * line on stderr, exit status 1. The result is still printed.
   */
  failure?: string;
}

export interface OutputOptions {
  json?: boolean;
  debug?: boolean;
  /** Never printed: every line on stdout and stderr is scrubbed of it. Default: `FAL_KEY`. */
  secret?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * Everything `kontext` prints goes through here: results on stdout (text or one JSON
 * document), notes and errors on stderr, each error one line unless `--debug`. All of it is
 * scrubbed of the fal key, whatever a provider or server echoed back.
 */
export class Output {
  json: boolean;
  debug: boolean;
  private readonly redact: <T>(value: T) => T;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  /** Called before anything is written to stderr, so a progress line can get out of the way. */
  private clearProgress: (() => void) | undefined;

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.debug = options.debug ?? false;
    this.redact = keyRedactor(options.secret?.trim() || undefined);
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** Lets the progress reporter clear its line before other stderr output. */
  onBeforeStderr(clear: (() => void) | undefined): void {
    this.clearProgress = clear;
  }

  /** Prints a command's result and returns its exit status. */
  result(result: CommandResult, command: string): ExitCode {
    // A command that printed as it went (`serve`) hands back an empty result.
    const { data, text } = result;
    const printed = data === undefined && text.length === 0;
    if (!printed) {
      if (this.json) this.writeOut(`${JSON.stringify(data, null, 2)}\n`);
      else if (text instanceof Uint8Array) this.writeOut(text);
      else if (text.length > 0) this.writeOut(`${text.map((line) => oneLine(line)).join('\n')}\n`);
    }
    if (result.failure === undefined) return EXIT.ok;
    this.note(`kontext ${command}: ${result.failure}`);
    return EXIT.failed;
  }

  /**
   * Reports an error as one line on stderr (a stack only with `--debug`), and with `--json`
   * also as a JSON document on stdout. Returns the exit status it calls for.
   */
  error(error: unknown, command: string | undefined): ExitCode {
    const code = exitCodeFor(error);
    const message = errorMessage(error);
    this.note(`${command ? `kontext ${command}` : 'kontext'}: ${message}`);
    if (this.debug && error instanceof Error && error.stack) this.writeErr(`${stackWithCauses(error)}\n`);
    if (this.json) {
      const details = isKontextError(error) ? error.details : undefined;
      const errorCode = isKontextError(error) ? error.code : error instanceof CommanderError ? 'USAGE' : 'INTERNAL';
      this.writeOut(`${JSON.stringify({ error: { code: errorCode, message, exitCode: code, ...(details === undefined ? {} : { details }) } }, null, 2)}\n`);
    }
    return code;
  }

  /** One line on stderr (the provider notice, what resume did, warnings). */
  note(line: string): void {
    this.writeErr(`${oneLine(line)}\n`);
  }

  /** Raw stderr output for the progress reporter (already positioned with `\r`). */
  progress(text: string): void {
    this.stderr.write(this.redact(text));
  }

  private writeOut(text: string | Uint8Array): void {
    this.stdout.write(this.redact(text));
  }

  private writeErr(text: string): void {
    this.clearProgress?.();
    this.stderr.write(this.redact(text));
  }
}

/** The one-line message of any error, without commander's `error: ` prefix. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const text = error.message.replace(/^error: /, '').split('\n')[0]!.trim();
    return text || error.name;
  }
  return String(error);
}

function stackWithCauses(error: Error): string {
  const parts: string[] = [error.stack ?? String(error)];
  let cause = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    parts.push(`caused by: ${cause.stack ?? cause.message}`);
    cause = cause.cause;
  }
  return parts.join('\n');
}
