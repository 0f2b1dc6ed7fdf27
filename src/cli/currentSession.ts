import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Remembers which session `kontext` commands act on, per database, like git's HEAD file:
 * `<dir of db>/current` maps each database file name in that folder to its current session
 * id, so two databases side by side do not overwrite each other's choice.
 */
export class CurrentSession {
  readonly file: string;
  private readonly key: string;

  constructor(dbFile: string) {
    this.file = join(dirname(dbFile), 'current');
    this.key = basename(dbFile);
  }

  get(): string | undefined {
    const id = this.read()[this.key];
    return typeof id === 'string' && id !== '' ? id : undefined;
  }

  set(sessionId: string): void {
    const map = { ...this.read(), [this.key]: sessionId };
    mkdirSync(dirname(this.file), { recursive: true });
    // Write then rename, so a crash never leaves a half-written file that forgets every session.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(map, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  private read(): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return {};
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      // An unreadable file (edited by hand) means no session is selected, not a crash.
      return {};
    }
  }
}
