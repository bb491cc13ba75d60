import type { PlannedAction } from './decision';
import { isRecord } from '../util/is-record';

/**
 * Whether a plan is the one a person approved (mode `approve`), as the gate judges it (pure).
 * "The same plan" (what the person saw and what would run now):
 *
 * - the same number of actions, each of the same type on the same resource, in order;
 * - every text, flag and identifier parameter equal (the failed run's id, the stream's
 *   VersionId, the Spark parameters, the idempotency token: a change means the situation
 *   changed);
 * - a number with a baseline beside it (`to` with `from`, `toGiB` with `fromGiB`, `sizeInMBs`
 *   with `previousSizeInMBs`) within the approved change: between the baseline and the approved
 *   value, ends included; the baseline itself must be equal. Any other number must be equal;
 * - the plan's own times (parameters named `…Ms`) are not compared: a plan made a minute later
 *   has a later `notBeforeMs` and is still the same fix.
 */

type Json = unknown;

const show = (v: Json) => (typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : (JSON.stringify(v) ?? String(v)));

/** The key of the baseline a number is measured from, when the naming says it has one. */
export function baselineKey(key: string): string | undefined {
  if (key === 'to') return 'from';
  if (/^to[A-Z]/.test(key)) return `from${key.slice(2)}`;
  return `previous${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

/** A plan time (`notBeforeMs`, `downSinceMs`): not part of what a person approves. */
const isPlanTime = (key: string) => /Ms$/.test(key);

function compare(
  path: string,
  key: string,
  approved: Json,
  planned: Json,
  siblings: { approved?: Record<string, Json>; planned?: Record<string, Json> },
  out: string[],
): void {
  if (isPlanTime(key) && typeof approved === 'number' && typeof planned === 'number') return;
  if (typeof approved === 'number' && typeof planned === 'number') {
    if (approved === planned) return;
    const base = baselineKey(key);
    const from = base !== undefined ? siblings.planned?.[base] : undefined;
    if (base !== undefined && typeof from === 'number' && siblings.approved?.[base] === from) {
      const lo = Math.min(from, approved);
      const hi = Math.max(from, approved);
      if (planned >= lo && planned <= hi) return;
      out.push(`${path}: ${planned} is outside the approved change ${from} → ${approved}`);
      return;
    }
    out.push(`${path}: approved ${approved}, now ${planned}`);
    return;
  }
  if (Array.isArray(approved) && Array.isArray(planned)) {
    if (approved.length !== planned.length) {
      out.push(`${path}: approved ${approved.length} item(s), now ${planned.length}`);
      return;
    }
    approved.forEach((a, i) => compare(`${path}[${i}]`, key, a, planned[i], {}, out));
    return;
  }
  if (isRecord(approved) && isRecord(planned)) {
    for (const k of [...new Set([...Object.keys(approved), ...Object.keys(planned)])].sort()) {
      if (!(k in planned)) out.push(`${path}.${k}: approved ${show(approved[k])}, now absent`);
      else if (!(k in approved)) out.push(`${path}.${k}: not in the approved plan, now ${show(planned[k])}`);
      else compare(`${path}.${k}`, k, approved[k], planned[k], { approved, planned }, out);
    }
    return;
  }
  if (JSON.stringify(approved) !== JSON.stringify(planned)) out.push(`${path}: approved ${show(approved)}, now ${show(planned)}`);
}

/** How the plan differs from the approved one; empty when it is the approved plan (see above). */
export function planDifferences(approved: readonly PlannedAction[], planned: readonly PlannedAction[]): string[] {
  if (approved.length !== planned.length) return [`the approved plan had ${approved.length} action(s), the plan now has ${planned.length}`];
  const out: string[] = [];
  approved.forEach((a, i) => {
    const p = planned[i]!;
    if (a.type !== p.type) out.push(`action ${i + 1}: approved ${a.type}, now ${p.type}`);
    else if (a.resource !== p.resource) out.push(`action ${i + 1} (${a.type}): approved on ${a.resource}, now on ${p.resource}`);
    else compare(`action ${i + 1} (${a.type}) params`, '', a.params, p.params, {}, out);
  });
  return out;
}
