/** Where a bad input enters: the library API, the `kontext` command line, or HTTP. */
export type Surface = 'library' | 'cli' | 'http';

/**
 * One bad input and the clear refusal it must get. `run` performs the call; the checker
 * decides, from its outcome, whether the refusal was clear (see checkLibraryCase and the
 * CLI and HTTP checkers).
 */
export interface BadInputCase {
  surface: Surface;
  /** Category, for the report: params, prompt, image, id, name, bundle, … */
  group: string;
  name: string;
  /** Error codes that count as a clear refusal. */
  codes: readonly string[];
  /** Text the message must contain: the field (or kind of thing) it is about. */
  names: string;
}

/** What a checker found, per case. */
export interface BadInputResult {
  surface: Surface;
  group: string;
  name: string;
  ok: boolean;
  /** Why not, when not ok (crash, wrong code, message not naming the field, store changed, HTTP 500…). */
  problem?: string;
  /** What came back: the code and first line of the message (or exit status / HTTP status). */
  got: string;
}

/** Counts for the report: cases, clear errors, crashes, 500s, store changes. */
export function summarize(results: readonly BadInputResult[]): string {
  const by = new Map<string, { n: number; ok: number }>();
  for (const r of results) {
    const key = `${r.surface}/${r.group}`;
    const entry = by.get(key) ?? { n: 0, ok: 0 };
    entry.n++;
    if (r.ok) entry.ok++;
    by.set(key, entry);
  }
  const crashes = results.filter((r) => r.problem?.startsWith('crash')).length;
  const http500 = results.filter((r) => r.problem?.includes('HTTP 5')).length;
  const changed = results.filter((r) => r.problem?.startsWith('store changed')).length;
  const ok = results.filter((r) => r.ok).length;
  const lines = [...by].map(([key, { n, ok: good }]) => `  ${key}: ${good}/${n}`);
  return [`bad input: ${results.length} cases, ${ok} clear errors (${((100 * ok) / Math.max(1, results.length)).toFixed(1)}%), ${crashes} crashes, ${http500} HTTP 5xx, ${changed} store changes`, ...lines].join('\n');
}
