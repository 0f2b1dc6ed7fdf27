import type { CommandSpec } from '../action.js';

/** `kontext gc [--yes]`: what archive collection would free (a dry run), or frees with --yes. */
export const gcCommand: CommandSpec<{ yes: boolean }> = {
  name: 'gc',
  parse: (_args, options) => ({ yes: options.yes === true }),
  run: async (ctx, input) => {
    const engine = await ctx.engine();
    const report = await engine.collectGarbage({ dryRun: !input.yes });
    const what = `${report.blobs.count} unreferenced image(s), ${bytes(report.blobs.bytes)}, and ${report.temporary.count} temp file(s) of killed writes, ${bytes(report.temporary.bytes)}`;
    const text = [report.dryRun ? `would free ${what}` : `freed ${what}`];
    if (report.keptRecent > 0) text.push(`kept ${report.keptRecent} unreferenced image(s) put since ${report.cutoff.toISOString()} (a running turn or upload may be about to record them)`);
    if (report.dryRun && report.blobs.count + report.temporary.count > 0) text.push("dry run: nothing was deleted; run 'kontext gc --yes' to delete them");
    return { data: { gc: { ...report, cutoff: report.cutoff.toISOString() } }, text };
  },
};

/** `1234567 bytes (1.2 MiB)`: exact for scripts, readable for people. */
function bytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = '';
  for (let i = 0; value >= 1024 && i < units.length; i++) {
    value /= 1024;
    unit = units[i]!;
  }
  return unit ? `${n} bytes (${value.toFixed(1)} ${unit})` : `${n} bytes`;
}
