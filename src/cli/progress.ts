import type { EngineEvent } from '../engine/events.js';
import { oneLine } from '../format/oneLine.js';
import type { Output } from './output.js';

export interface ProgressOptions {
  output: Output;
  /** One rewritten line (`\r`) when true; plain lines, one per change, otherwise. */
  tty: boolean;
  /** False with `--quiet`: nothing is shown. */
  enabled: boolean;
  /** Width of the terminal, to keep the rewritten line on one row. Default 80. */
  columns?: () => number | undefined;
  now?: () => number;
}

interface TurnProgress {
  startedAt: number;
  state: string;
  lastLog: string | undefined;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 120;

/**
 * Shows what running turns are doing — our own queue position, the provider's queue
 * position, its log lines, the time elapsed — on stderr, so stdout stays the result. On a
 * terminal it is one line rewritten in place; in a pipe or a log file, a plain line per change.
 */
export class Progress {
  private readonly turns = new Map<string, TurnProgress>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private shown = false;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    if (options.enabled && options.tty) options.output.onBeforeStderr(() => this.clear());
  }

  /** Takes an engine event; anything not about a running turn is ignored. */
  handle(event: EngineEvent): void {
    if (!this.options.enabled || event.turnId === null) return;
    const id = event.turnId;
    switch (event.type) {
      case 'turn.created':
        // A source image is created already finished: nothing to watch.
        if (event.status === 'pending') this.update(id, 'waiting to start');
        return;
      case 'turn.queued':
        this.update(
          id,
          event.local
            ? `waiting for a local slot${event.position === undefined ? '' : ` (position ${event.position})`}`
            : `in the provider's queue${event.position === undefined ? '' : ` (position ${event.position})`}`,
        );
        return;
      case 'turn.submitted':
        this.update(id, 'submitted');
        return;
      case 'turn.running':
        this.update(id, 'running');
        for (const line of event.logs ?? []) this.log(id, line.message);
        return;
      case 'turn.succeeded':
      case 'turn.failed':
      case 'turn.cancelled':
        this.finish(id, event.type.slice('turn.'.length) + ('error' in event ? `: ${event.error.code}` : ''));
        return;
      default:
        return;
    }
  }

  /** Takes a note that a turn is being picked up again after an earlier process stopped. */
  resuming(turnId: string, status: string): void {
    this.update(turnId, `resuming (was ${status})`);
  }

  /** Removes the progress line and stops redrawing; safe to call more than once. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private update(id: string, state: string): void {
    const turn = this.turns.get(id) ?? { startedAt: this.now(), state, lastLog: undefined };
    const changed = !this.turns.has(id) || turn.state !== state;
    turn.state = state;
    this.turns.set(id, turn);
    if (this.options.tty) this.draw();
    else if (changed) this.line(id, state);
  }

  private log(id: string, message: string): void {
    const turn = this.turns.get(id);
    // A provider's log line is remote text: no escape sequence of its own reaches the terminal.
    const text = oneLine(message).replace(/\s+/g, ' ').trim();
    if (!turn || text === '') return;
    turn.lastLog = text;
    if (this.options.tty) this.draw();
    else this.line(id, `log: ${text}`);
  }

  private finish(id: string, state: string): void {
    const turn = this.turns.get(id);
    if (!turn) return;
    this.turns.delete(id);
    if (!this.options.tty) this.line(id, state, turn.startedAt);
    else if (this.turns.size === 0) this.stop();
    else this.draw();
  }

  private line(id: string, text: string, startedAt = this.turns.get(id)?.startedAt ?? this.now()): void {
    this.options.output.progress(`turn ${id.slice(0, 8)}: ${text} (${seconds(this.now() - startedAt)})\n`);
  }

  /** Redraws the single line: the most recently started turn, and how many others run. */
  private draw(): void {
    const active = [...this.turns.entries()];
    const latest = active.at(-1);
    if (!latest) return this.clear();
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref();
    }
    const [id, turn] = latest;
    const parts = [`${SPINNER[this.frame++ % SPINNER.length]} turn ${id.slice(0, 8)}`, turn.state, seconds(this.now() - turn.startedAt)];
    if (active.length > 1) parts.push(`+${active.length - 1} more`);
    if (turn.lastLog) parts.push(turn.lastLog);
    const width = Math.max(20, (this.options.columns?.() || 80) - 1);
    let text = parts.join(' · ');
    if ([...text].length > width) text = `${[...text].slice(0, width - 1).join('')}…`;
    this.options.output.progress(`\r\x1b[2K${text}`);
    this.shown = true;
  }

  private clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.options.output.progress('\r\x1b[2K');
  }
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}
