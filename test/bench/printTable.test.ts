import { describe, expect, it } from 'vitest';
import { atMost, context } from '../../bench/lib/BenchResult.js';
import { printTable } from '../../bench/lib/printTable.js';

const engineRow = (caution?: string) =>
  atMost({ id: 'engine-overhead.cpu-per-turn', name: 'Engine CPU per turn', unit: 'ms', measured: 2.4, shown: '2.40 ms cpu', note: '5 rounds', caution }, 2, { strict: true });

describe('printTable', () => {
  it('prints each row with its target and verdict, then the notes', () => {
    const text = printTable([engineRow(), context({ id: 'engine-overhead.new-file', name: 'New file', unit: 'µs', measured: 14, shown: '14 µs' })]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^benchmark\s+\| measured\s+\| target\s+\| met/);
    expect(lines.find((l) => l.startsWith('Engine CPU per turn'))).toMatch(/2\.40 ms cpu\s+\| < 2 ms \| NO/);
    expect(lines.find((l) => l.startsWith('New file'))).toMatch(/14 µs\s+\| —\s+\| –/);
    expect(lines.slice(lines.indexOf('notes:'))).toEqual(['notes:', '  engine-overhead.cpu-per-turn: 5 rounds']);
    expect(text).not.toContain('caution');
  });

  it('prints a caution measured in the run under the notes, naming the row it concerns', () => {
    const lines = printTable([engineRow('the disk was busy')]).split('\n');
    expect(lines.slice(-2)).toEqual(['caution (this run):', '  engine-overhead.cpu-per-turn: the disk was busy']);
    expect(lines.indexOf('caution (this run):')).toBeGreaterThan(lines.indexOf('notes:'));
  });
});
