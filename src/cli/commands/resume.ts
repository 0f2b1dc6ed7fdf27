import type { CommandSpec } from '../action.js';
import { turnDoc } from '../../present/documents.js';
import { short, turnFailure } from '../../present/lines.js';

/** `kontext resume`: completes turns a killed process left in flight, by request id, without paying again. */
export const resumeCommand: CommandSpec<null> = {
  name: 'resume',
  parse: () => null,
  resume: 'none',
  run: async (ctx) => {
    const report = await ctx.resumeInFlight();
    const text = report.resumed.map((t) => `turn ${short(t.id)} of session ${short(t.sessionId)}: ${t.status}${t.errorCode ? ` (${t.errorCode}: ${t.errorMessage})` : ''}`);
    for (const id of report.busy) text.push(`turn ${short(id)}: another running kontext holds it; left to that process`);
    for (const u of report.unavailable) text.push(`turn ${short(u.turnId)}: in flight on ${u.provider}, which is not configured here${u.provider === 'fal' ? ' (set FAL_KEY)' : ''}`);
    if (text.length === 0) text.push('nothing to resume');
    const failed = report.resumed.filter((t) => t.status !== 'succeeded');
    return {
      data: { resumed: report.resumed.map((t) => turnDoc(t, ctx.address)), busy: report.busy, unavailable: report.unavailable },
      text,
      failure: failed.length > 0 ? failed.map((t) => turnFailure(t)).join('; ') : undefined,
    };
  },
};
