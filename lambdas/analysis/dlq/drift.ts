/**
 * Schema drift: fields the failing payloads carry that good records never do, and fields good
 * records always carry that the failing payloads lack (docs/dlq-format.md).
 */

export class FieldCounter {
  records = 0;
  readonly fields = new Map<string, number>();

  add(paths: Iterable<string>): void {
    this.records++;
    for (const p of paths) this.fields.set(p, (this.fields.get(p) ?? 0) + 1);
  }

  share(field: string): number {
    return this.records === 0 ? 0 : (this.fields.get(field) ?? 0) / this.records;
  }
}

export interface DriftOptions {
  /** A new field must appear in at least this share of the failing payloads (default 0.2). */
  minShare?: number;
  /** A missing field: in at least this share of the reference (default 0.95) … */
  referenceMinShare?: number;
  /** … and in at most this share of the failing payloads (default 0.05). */
  failingMaxShare?: number;
}

export interface DriftReport {
  failingRecords: number;
  referenceRecords: number;
  newFields: { field: string; failingSharePercent: number }[];
  missingFields: { field: string; failingSharePercent: number }[];
  /** A missing field and a new one with alike names under the same parent: likely renamed. */
  renames: { from: string; to: string }[];
}

const parentOf = (path: string): string => {
  const i = path.lastIndexOf('.');
  return i < 0 ? '' : path.slice(0, i);
};
const leafOf = (path: string): string => path.slice(path.lastIndexOf('.') + 1).replace(/\[\]$/, '');

/** `customerId`, `customer_id`, `customer-id` → `customer`, `id`. */
const tokens = (name: string): string[] =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/**
 * Names alike: the same tokens, or tokens that abbreviate one another (`cust` / `customer`,
 * `qty` / `quantity` by subsequence), covering at least half of the longer name's tokens.
 */
export function alikeNames(a: string, b: string): boolean {
  const ta = tokens(a);
  const tb = tokens(b);
  if (ta.length === 0 || tb.length === 0 || a === b) return false;
  const abbreviates = (s: string, l: string) => {
    if (s.length < 2 || s[0] !== l[0]) return false;
    let j = 0;
    for (const ch of l) if (j < s.length && ch === s[j]) j++;
    return j === s.length;
  };
  const used = new Set<number>();
  let matched = 0;
  for (const x of ta) {
    const k = tb.findIndex((y, i) => !used.has(i) && (x === y || abbreviates(x, y) || abbreviates(y, x)));
    if (k >= 0) {
      used.add(k);
      matched++;
    }
  }
  return matched > 0 && matched >= Math.max(ta.length, tb.length) / 2 && matched >= Math.min(ta.length, tb.length);
}

const pct = (x: number) => Math.round(x * 1000) / 10;

/** Only the shallowest of a family: `meta` new implies `meta.*` new; report `meta`. */
function shallowest(paths: string[]): string[] {
  const set = new Set(paths);
  return paths.filter((p) => {
    for (let q = parentOf(p); q !== ''; q = parentOf(q)) if (set.has(q)) return false;
    return true;
  });
}

export function detectDrift(failing: FieldCounter, reference: FieldCounter, opts: DriftOptions = {}): DriftReport {
  const minShare = opts.minShare ?? 0.2;
  const refMin = opts.referenceMinShare ?? 0.95;
  const failMax = opts.failingMaxShare ?? 0.05;
  const empty: DriftReport = { failingRecords: failing.records, referenceRecords: reference.records, newFields: [], missingFields: [], renames: [] };
  if (failing.records === 0 || reference.records === 0) return empty;

  const added = shallowest([...failing.fields.keys()].filter((f) => !reference.fields.has(f) && failing.share(f) >= minShare).sort());
  const missing = shallowest([...reference.fields.keys()].filter((f) => reference.share(f) >= refMin && failing.share(f) <= failMax).sort());
  const renames: DriftReport['renames'] = [];
  const taken = new Set<string>();
  for (const m of missing) {
    const n = added.find((a) => !taken.has(a) && parentOf(a) === parentOf(m) && alikeNames(leafOf(m), leafOf(a)));
    if (n) {
      taken.add(n);
      renames.push({ from: m, to: n });
    }
  }
  const byShare = (a: { failingSharePercent: number; field: string }, b: { failingSharePercent: number; field: string }) =>
    b.failingSharePercent - a.failingSharePercent || a.field.localeCompare(b.field);
  return {
    ...empty,
    newFields: added.map((field) => ({ field, failingSharePercent: pct(failing.share(field)) })).sort(byShare),
    missingFields: missing.map((field) => ({ field, failingSharePercent: pct(failing.share(field)) })).sort(byShare),
    renames,
  };
}
