/**
 * Shared helpers of the ledger's record modules: zero-padded sort keys, TTL values, and the
 * attributes of a fenced lease (see lease.ts).
 */
export const DAY_S = 86_400;

export const pad = (n: number, w = 15): string => String(Math.max(0, Math.floor(n))).padStart(w, '0');

/** The TTL attribute's value: epoch seconds `seconds` after `nowMs`. */
export const expires = (nowMs: number, seconds: number): number => Math.floor(nowMs / 1000) + seconds;

/**
 * The TTL of an audit item (incident, timeline, operation and its progress): none unless a
 * retention is configured (config `ledger.auditRetentionDays`), so the audit trail is kept by default.
 */
export const auditTtl = (atMs: number, retentionDays: number | undefined): { expiresAt?: number } =>
  retentionDays === undefined ? {} : { expiresAt: expires(atMs, retentionDays * DAY_S) };
