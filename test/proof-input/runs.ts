/**
 * How many cases each property of the bad-input proof runs: `PROOF_RUNS` (default 1,000, the
 * quick run of `npm test`; `PROOF_RUNS=10000 npx vitest run test/proof-input` is the full proof).
 */
export function proofRuns(): number {
  const raw = process.env.PROOF_RUNS;
  if (raw === undefined || raw === '') return 1_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PROOF_RUNS must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

/** A test timeout that grows with the run count (the properties are CPU-bound). */
export const proofTimeoutMs = (runs = proofRuns()): number => Math.max(30_000, runs * 20);

/** `a.b[2].c` → ['a', 'b', 2, 'c'] */
export type PathSeg = string | number;

/** The path as `formatPath` writes it (`detail.metrics[0].id`, `(root)` for the root). */
export function pathText(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/** True when the field names `path`, one of its ancestors or one of its descendants. */
export function related(field: string, path: string): boolean {
  if (field === '(root)' || path === '(root)') return true;
  const under = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return under(field, path) || under(path, field);
}
