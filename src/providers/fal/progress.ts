import type { LogLine, ProgressEvent } from '../Provider.js';
import type { FalStatus } from './protocol.js';

/**
 * Turns the statuses of one job into progress events: `queued` when the position changes,
 * `running` with only the log lines not reported before, `completed` once with the metrics.
 *
 * The stream sends each log line once, polling sends them all every time, and a wait may
 * switch from one to the other midway; so lines are told apart by timestamp and text
 * rather than by count. (Two identical lines with the same timestamp are reported once.)
 */
export class ProgressTracker {
  private readonly seen = new Set<string>();
  private lastPosition: number | undefined | null = null;
  private running = false;
  private completed = false;

  constructor(private readonly onProgress: ((event: ProgressEvent) => void) | undefined) {}

  report(status: FalStatus): void {
    if (!this.onProgress) return;
    if (status.status === 'IN_QUEUE') {
      const position = status.queue_position ?? undefined;
      if (position !== this.lastPosition) {
        this.lastPosition = position;
        this.emit({ type: 'queued', position });
      }
      return;
    }
    const fresh = this.freshLogs(status);
    if (fresh.length > 0 || (!this.running && status.status !== 'COMPLETED')) this.emit({ type: 'running', logs: fresh });
    this.running = true;
    if (status.status === 'COMPLETED' && !this.completed) {
      this.completed = true;
      this.emit({ type: 'completed', metrics: status.metrics ?? undefined });
    }
  }

  private freshLogs(status: FalStatus): LogLine[] {
    const fresh: LogLine[] = [];
    for (const line of status.logs ?? []) {
      const id = `${line.timestamp ?? ''}\u0000${line.message}`;
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      fresh.push({ message: line.message, ...(line.level === undefined ? {} : { level: line.level }), ...(line.timestamp === undefined ? {} : { timestamp: line.timestamp }) });
    }
    return fresh;
  }

  /** A listener that throws must not strand a paid job half-waited. */
  private emit(event: ProgressEvent): void {
    try {
      this.onProgress?.(event);
    } catch {
      // ignored on purpose: progress is advisory
    }
  }
}
