import { RE2JS } from 're2js';
import { payloadObject, type DlqRecord, type ErrorType } from '../../analysis/dlq';

/**
 * Which records a replay selects: failure time range, error types and codes, and key
 * predicates on the payload. Predicates are data, never code: `field=value`, `field!=value`,
 * `field~regex`, `field!~regex`, where `field` is a dot path into the JSON payload
 * (`customer.id`) or one of `$key`, `$topic`, `$partition`, `$offset`, `$errorCode`,
 * `$errorMessage`.
 *
 * Regular expressions run on RE2JS, a port of RE2: matching time is linear in the length of
 * the value whatever the pattern (no backtracking), so a hostile pattern or record cannot pin
 * the function. The syntax is RE2's (https://github.com/google/re2/wiki/Syntax): no
 * backreferences or lookarounds; `~` finds the pattern anywhere in the value, as
 * `RegExp.test` does.
 */

export type Operator = '=' | '!=' | '~' | '!~';

/** The compiled pattern: anything with an unanchored `test`. */
export interface Pattern {
  test(input: string): boolean;
}

export interface Predicate {
  field: string;
  op: Operator;
  value: string;
  regex?: Pattern;
}

const PREDICATE = /^([A-Za-z_$][A-Za-z0-9_$.-]*)\s*(!=|!~|=|~)(.*)$/s;
const META = new Set(['$key', '$topic', '$partition', '$offset', '$errorCode', '$errorMessage']);
/**
 * A value is matched on its first 65,536 characters: the cost of one test stays bounded (and
 * linear) whatever the size of a payload field.
 */
export const MAX_TESTED_CHARS = 65_536;
export const MAX_PATTERN_CHARS = 200;

/** A linear-time pattern (RE2 semantics), or the reason it is not one. */
export function compilePattern(pattern: string): { ok: true; pattern: Pattern } | { ok: false; error: string } {
  if (pattern.length > MAX_PATTERN_CHARS) return { ok: false, error: `regular expression longer than ${MAX_PATTERN_CHARS} characters` };
  try {
    const re = RE2JS.compile(pattern);
    return { ok: true, pattern: { test: (input) => re.test(input) } };
  } catch (e) {
    return { ok: false, error: `invalid regular expression /${pattern}/ (RE2 syntax: no backreferences or lookarounds): ${(e as Error).message}` };
  }
}

export function parsePredicate(s: string): { ok: true; predicate: Predicate } | { ok: false; error: string } {
  const m = PREDICATE.exec(s);
  if (!m) return { ok: false, error: `"${s}" is not field=value, field!=value, field~regex or field!~regex` };
  const [, field, op, value] = m as unknown as [string, string, Operator, string];
  if (field.startsWith('$') && !META.has(field)) return { ok: false, error: `unknown field ${field} (known: ${[...META].join(', ')})` };
  if (op === '~' || op === '!~') {
    const c = compilePattern(value);
    return c.ok ? { ok: true, predicate: { field, op, value, regex: c.pattern } } : c;
  }
  return { ok: true, predicate: { field, op, value } };
}

function lookup(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const asText = (v: unknown): string | undefined =>
  v === undefined ? undefined : v === null ? 'null' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);

function metaValue(r: DlqRecord, field: string): string | undefined {
  switch (field) {
    case '$key':
      return r.key;
    case '$topic':
      return r.position?.topic;
    case '$partition':
      return r.position ? String(r.position.partition) : undefined;
    case '$offset':
      return r.position?.offset;
    case '$errorCode':
      return r.errorCode;
    default:
      return r.errorMessage;
  }
}

/** A missing field matches only the negative operators. */
function holds(p: Predicate, value: string | undefined): boolean {
  const positive = p.op === '=' || p.op === '~';
  if (value === undefined) return !positive;
  const hit = p.regex ? p.regex.test(value.length > MAX_TESTED_CHARS ? value.slice(0, MAX_TESTED_CHARS) : value) : value === p.value;
  return positive ? hit : !hit;
}

export interface ReplayFilterSpec {
  fromMs?: number;
  toMs?: number;
  errorTypes?: readonly ErrorType[];
  errorCodes?: readonly string[];
  where?: readonly Predicate[];
}

export type FilterVerdict = 'match' | 'time' | 'type' | 'predicate';

export class ReplayFilter {
  private readonly types?: ReadonlySet<ErrorType>;
  private readonly codes?: ReadonlySet<string>;
  private readonly payloadPredicates: readonly Predicate[];
  private readonly metaPredicates: readonly Predicate[];

  constructor(private readonly spec: ReplayFilterSpec) {
    if (spec.errorTypes) this.types = new Set(spec.errorTypes);
    if (spec.errorCodes) this.codes = new Set(spec.errorCodes);
    this.payloadPredicates = (spec.where ?? []).filter((p) => !p.field.startsWith('$'));
    this.metaPredicates = (spec.where ?? []).filter((p) => p.field.startsWith('$'));
  }

  /** Objects written before `from` cannot hold a record that failed after it. */
  objectMayMatch(lastModifiedMs: number): boolean {
    return this.spec.fromMs === undefined || lastModifiedMs >= this.spec.fromMs;
  }

  test(r: DlqRecord): FilterVerdict {
    if (this.spec.fromMs !== undefined && !(r.atMs >= this.spec.fromMs)) return 'time';
    if (this.spec.toMs !== undefined && !(r.atMs <= this.spec.toMs)) return 'time';
    if (this.types && !this.types.has(r.errorType)) return 'type';
    if (this.codes && !this.codes.has(r.errorCode)) return 'type';
    for (const p of this.metaPredicates) if (!holds(p, metaValue(r, p.field))) return 'predicate';
    if (this.payloadPredicates.length > 0) {
      // Parsed only when a predicate needs it: most replays select by time and type alone.
      const obj = payloadObject(r.payload.toString('utf8'));
      for (const p of this.payloadPredicates) if (!holds(p, asText(obj === undefined ? undefined : lookup(obj, p.field)))) return 'predicate';
    }
    return 'match';
  }
}
