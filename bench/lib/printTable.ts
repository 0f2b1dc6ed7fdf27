import type { BenchResult } from './BenchResult.js';

/** The results as one plain-text table: what, measured, target, met, and both sides of a comparison. */
export function printTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.shown,
    r.target,
    r.met === undefined ? '–' : r.met ? 'yes' : 'NO',
    r.compared ? Object.entries(r.compared).map(([side, value]) => `${side}: ${value}`).join('; ') : '',
  ]);
  const header = ['benchmark', 'measured', 'target', 'met', 'side by side'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ').trimEnd();
  const notes = results.filter((r) => r.note).map((r) => `  ${r.id}: ${r.note}`);
  const cautions = results.filter((r) => r.caution).map((r) => `  ${r.id}: ${r.caution}`);
  const table = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line), '', 'notes:', ...notes];
  return (cautions.length > 0 ? [...table, '', 'caution (this run):', ...cautions] : table).join('\n');
}
