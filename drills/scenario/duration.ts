import { z } from 'zod';

/**
 * Durations in scenario files: a number of seconds (`90`), or a string of units in order
 * `h`, `m`, `s`, `ms` (`90s`, `5m`, `1h30m`, `2m30s`, `500ms`). Parsed to milliseconds.
 */

const UNITS = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/;

export function parseDurationMs(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input * 1000) : undefined;
  const s = input.trim();
  if (s === '') return undefined;
  const m = UNITS.exec(s);
  if (!m || m.slice(1).every((g) => g === undefined)) return undefined;
  const [h, min, sec, ms] = m.slice(1).map((g) => (g === undefined ? 0 : Number(g))) as [number, number, number, number];
  return Math.round(h * 3_600_000 + min * 60_000 + sec * 1000 + ms);
}

export const durationSchema = z
  .union([z.number(), z.string()], { error: 'must be a duration: seconds as a number, or a string such as 90s, 5m, 1h30m, 500ms' })
  .transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration: use seconds as a number, or a string such as 90s, 5m, 1h30m, 500ms` });
      return z.NEVER;
    }
    return ms;
  });

/** `+00:01:30` (hours may exceed 99 for long drills). */
export function formatOffset(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  return `+${p(Math.floor(total / 3600))}:${p(Math.floor((total % 3600) / 60))}:${p(total % 60)}`;
}
