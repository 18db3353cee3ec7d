/**
 * A tiny progress bar for long CLI work, drawn on one terminal line (carriage return, no dependency).
 * Draws only on a TTY and at most every `intervalMs` (a monotonic timer: this is pacing, not billing time);
 * `done()` leaves the last state on its own line.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export class ProgressBar {
  private last = 0;
  private drawn = false;
  private readonly started = performance.now();

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly intervalMs = 100,
  ) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** `current` of `total` (e.g. bytes), with a short status after the bar. */
  update(current: number, status: string, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    this.stream.write(`\r${renderBar(current, this.total, status, this.stream.columns ?? 80, now - this.started)}\x1b[K`);
    this.drawn = true;
  }

  done(current: number, status: string): void {
    if (!this.enabled) return;
    this.update(current, status, true);
    if (this.drawn) this.stream.write('\n');
  }
}

/** One line: `[█████░░░░░] 52%  <status>  12s`, cut to `columns`. Pure, so it is testable. */
export function renderBar(current: number, total: number, status: string, columns: number, elapsedMs: number): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, current / total)) : 1;
  const width = 24;
  const full = Math.round(fraction * width);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const secs = `${Math.round(elapsedMs / 1000)}s`;
  const line = `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${pct}  ${status}  ${secs}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 1)) : line;
}
