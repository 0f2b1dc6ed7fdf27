/**
 * One line of the benchmark table. `measured` and `target` are numbers in `unit` so that
 * results.json can be compared across runs; `shown` is what the table prints.
 */
export interface BenchResult {
  /** Stable id, e.g. `engine-vs-fal-client.ratio`. */
  id: string;
  /** What was measured, for the table. */
  name: string;
  unit: 'ms' | 'µs' | 'ratio' | 'calls' | 'MiB' | 'count';
  /** NaN when it could not be measured (then `note` says why). */
  measured: number;
  shown: string;
  /** The goal, e.g. `≤ 0.9`, `< 2 ms`. */
  target: string;
  /** Whether `measured` meets the target; undefined when not measured, or when there is no target. */
  met: boolean | undefined;
  /** For comparisons: both sides, measured side by side in the same run. */
  compared?: Record<string, string>;
  /** How it was measured (samples, sizes) or why it was not. */
  note?: string;
  /**
   * Evidence, measured in the same run, that the machine was in a state that inflates this
   * figure beyond what is being measured (printed under the table, where a miss is read).
   */
  caution?: string;
}

/** A result that meets its target when `measured` is at most `limit` (`strict`: below it). */
export function atMost(
  fields: Omit<BenchResult, 'met' | 'target'>,
  limit: number,
  options: { strict?: boolean; target?: string } = {},
): BenchResult {
  const met = Number.isFinite(fields.measured) ? (options.strict ? fields.measured < limit : fields.measured <= limit) : undefined;
  const unit = fields.unit === 'ratio' || fields.unit === 'count' || fields.unit === 'calls' ? '' : ` ${fields.unit}`;
  return { ...fields, target: options.target ?? `${options.strict ? '<' : '≤'} ${limit}${unit}`, met };
}

/** A row with no target of its own: context for the figures beside it (a part, a floor, a wall time). */
export function context(fields: Omit<BenchResult, 'met' | 'target'>): BenchResult {
  return { ...fields, target: '—', met: undefined };
}

/** A row for something that could not be measured in this checkout. */
export function notMeasured(id: string, name: string, unit: BenchResult['unit'], target: string, why: string): BenchResult {
  return { id, name, unit, measured: Number.NaN, shown: why, target, met: undefined, note: why };
}
