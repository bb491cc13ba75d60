/**
 * A one-line progress bar on a terminal (redrawn in place), or a plain line every few seconds
 * when the stream is not a terminal (CI logs, files). Drawing is throttled.
 */

export interface BarStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${UNITS[u]}`;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

export interface BarState {
  done: number;
  total: number;
  /** Right of the bar: counters. */
  label: string;
}

export class ProgressBar {
  private lastDrawMs = 0;
  private drawn = false;

  constructor(
    private readonly out: BarStream,
    private readonly now: () => number = Date.now,
    private readonly opts: { width?: number; ttyEveryMs?: number; plainEveryMs?: number } = {},
  ) {}

  /** The text of the bar, without control characters. */
  render(s: BarState): string {
    const width = this.opts.width ?? 24;
    const ratio = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
    const full = Math.round(ratio * width);
    return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${s.label}`;
  }

  update(s: BarState, force = false): void {
    const now = this.now();
    const every = this.out.isTTY ? (this.opts.ttyEveryMs ?? 100) : (this.opts.plainEveryMs ?? 5_000);
    if (!force && this.drawn && now - this.lastDrawMs < every) return;
    this.lastDrawMs = now;
    this.drawn = true;
    const line = this.render(s);
    if (this.out.isTTY) {
      const cols = this.out.columns ?? 120;
      this.out.write(`\r${line.length >= cols ? line.slice(0, cols - 1) : line}\u001b[K`);
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Final state, then a newline on a terminal so what follows starts on its own line. */
  finish(s: BarState): void {
    this.update(s, true);
    if (this.out.isTTY) this.out.write('\n');
  }
}
