import { describe, expect, it } from 'vitest';
import { newFileCaution, QUIET_NEW_FILE_MICROS } from '../../bench/lib/machineState.js';

describe('newFileCaution', () => {
  it('says nothing while a new file costs what it does on a quiet disk', () => {
    expect(newFileCaution(14)).toBeUndefined();
    expect(newFileCaution(QUIET_NEW_FILE_MICROS)).toBeUndefined();
  });

  it('names the measured cost and what to do when the disk is still paying for a deletion', () => {
    const caution = newFileCaution(161);
    expect(caution).toContain('161 µs');
    expect(caution).toContain(`${QUIET_NEW_FILE_MICROS} µs`);
    expect(caution).toMatch(/about 6 minutes/);
  });

  it('says nothing without a measurement (NaN)', () => {
    expect(newFileCaution(Number.NaN)).toBeUndefined();
  });
});
