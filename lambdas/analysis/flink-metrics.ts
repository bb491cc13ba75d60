/**
 * Judgments over a Managed Flink application's metric series and log lines. Pure.
 *
 * The counters MSF publishes (`fullRestarts` / `numRestarts`, `numberOfFailedCheckpoints`) count
 * since the job was submitted ("Metrics and dimensions in Managed Service for Apache Flink"): they
 * start again from 0 when the application is restarted, so an increase is summed over the steps
 * that go up, and a step down is a new job counting from 0.
 */

export interface Point {
  atMs: number;
  value: number;
}

/** `{timestampsMs, values}` → points, oldest first, NaN dropped. */
export function toPoints(s: { timestampsMs: number[]; values: number[] } | undefined): Point[] {
  if (!s) return [];
  return s.timestampsMs
    .map((atMs, i) => ({ atMs, value: s.values[i]! }))
    .filter((p) => Number.isFinite(p.value))
    .sort((a, b) => a.atMs - b.atMs);
}

export const latest = (points: readonly Point[]): Point | undefined => points[points.length - 1];

/** How much a counter grew over the points: the sum of its rises; after a drop, the new job's count. */
export function counterIncrease(points: readonly Point[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const d = points[i]!.value - points[i - 1]!.value;
    total += d >= 0 ? d : points[i]!.value;
  }
  return total;
}

/** Minutes the newest points have been above `threshold` in a row (0 when the newest is not). */
export function trailingMinutesAbove(points: readonly Point[], threshold: number): number {
  let start: number | undefined;
  let end: number | undefined;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (!(p.value > threshold)) break;
    start = p.atMs;
    end ??= p.atMs;
  }
  return start === undefined || end === undefined ? 0 : Math.round((end - start) / 60_000) + 1;
}

/** Least-squares slope of the values per minute (null with fewer than 3 points). */
export function slopePerMinute(points: readonly Point[]): number | null {
  if (points.length < 3) return null;
  const xs = points.map((p) => p.atMs / 60_000);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = points.reduce((a, p) => a + p.value, 0) / points.length;
  let num = 0;
  let den = 0;
  points.forEach((p, i) => {
    num += (xs[i]! - mx) * (p.value - my);
    den += (xs[i]! - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

export const maxValue = (points: readonly Point[]): number | null => (points.length === 0 ? null : Math.max(...points.map((p) => p.value)));

/** One line of the application's log, as MSF writes it (JSON with `message` and `throwableInformation`) or raw. */
export interface FlinkLogLine {
  atMs: number;
  /** `messageType`: ERROR, WARN, INFO… (absent for a raw line). */
  level?: string;
  /** The message and the exception, on one string. */
  text: string;
}

/**
 * MSF writes each log event as a JSON object ("Logging in Managed Service for Apache Flink":
 * `messageType`, `message`, `throwableInformation`, `applicationARN`, …); other lines are kept raw.
 */
export function parseFlinkLogLine(atMs: number, raw: string): FlinkLogLine {
  try {
    const o = JSON.parse(raw) as { message?: unknown; throwableInformation?: unknown; messageType?: unknown };
    if (o && typeof o === 'object' && (typeof o.message === 'string' || typeof o.throwableInformation === 'string')) {
      const parts = [o.message, o.throwableInformation].filter((x): x is string => typeof x === 'string' && x.length > 0);
      return { atMs, ...(typeof o.messageType === 'string' ? { level: o.messageType } : {}), text: parts.join('\n') };
    }
  } catch {
    // not JSON: a raw line
  }
  return { atMs, text: raw };
}

const EXCEPTION = /\b((?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))\b/;

/**
 * The lines worth a page: the oldest error of the window (a restart loop's first failure is its
 * cause; later ones are the loop's echo) and the newest, each with its exception class, and how
 * many error lines there were.
 */
export function failureLines(lines: readonly FlinkLogLine[]): { first?: FlinkLogLine; last?: FlinkLogLine; errors: number; exceptions: string[] } {
  const errors = lines.filter((l) => l.level === undefined || l.level === 'ERROR').sort((a, b) => a.atMs - b.atMs);
  const exceptions = [...new Set(errors.map((l) => EXCEPTION.exec(l.text)?.[1]).filter((x): x is string => x !== undefined))];
  return { ...(errors[0] ? { first: errors[0] } : {}), ...(errors.length > 0 ? { last: errors[errors.length - 1]! } : {}), errors: errors.length, exceptions };
}
