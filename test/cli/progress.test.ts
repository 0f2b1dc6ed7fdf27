import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { Progress } from '../../src/cli/progress.js';

function captured(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('Progress', () => {
  it("prints a provider's log lines as plain text, without their control characters", () => {
    const stderr = captured();
    const output = new Output({ stdout: new PassThrough(), stderr: stderr.stream, secret: '' });
    const progress = new Progress({ output, tty: false, enabled: true, now: () => 0 });
    const base = { sessionId: 's1', turnId: 'turn-0001-abcdef' } as const;
    progress.handle({ ...base, type: 'turn.created', status: 'pending' } as never);
    progress.handle({ ...base, type: 'turn.running', status: 'running', logs: [{ message: 'step 1\u001b]0;pwned\u0007 \u001b[31mred\u009b\r\n done' }] } as never);
    const text = stderr.text();
    expect(text).toContain('turn turn-000: log: step 1 ]0;pwned [31mred done (0.0 s)');
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
