import { payloadObject, type DlqRecord, type ErrorType } from '../../analysis/dlq';

/**
 * Which records a replay selects: failure time range, error types and codes, and key
 * predicates on the payload. Predicates are data, never code: `field=value`, `field!=value`,
 * `field~regex`, `field!~regex`, where `field` is a dot path into the JSON payload
 * (`customer.id`) or one of `$key`, `$topic`, `$partition`, `$offset`, `$errorCode`,
 * `$errorMessage`.
 */

export type Operator = '=' | '!=' | '~' | '!~';

export interface Predicate {
  field: string;
  op: Operator;
  value: string;
  regex?: RegExp;
}

const PREDICATE = /^([A-Za-z_$][A-Za-z0-9_$.-]*)\s*(!=|!~|=|~)(.*)$/s;
const META = new Set(['$key', '$topic', '$partition', '$offset', '$errorCode', '$errorMessage']);
/** Values longer than this are not matched against a regex (bounds the cost of one test). */
const MAX_TESTED_CHARS = 10_000;
const MAX_PATTERN_CHARS = 200;
/**
 * A quantified group that itself contains a quantifier (`(a+)+`, `(x*)*`, `(a|b+){2,}`): the
 * shape of patterns whose matching time explodes on some inputs. A filter never needs one.
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d)/;

export function parsePredicate(s: string): { ok: true; predicate: Predicate } | { ok: false; error: string } {
  const m = PREDICATE.exec(s);
  if (!m) return { ok: false, error: `"${s}" is not field=value, field!=value, field~regex or field!~regex` };
  const [, field, op, value] = m as unknown as [string, string, Operator, string];
  if (field.startsWith('$') && !META.has(field)) return { ok: false, error: `unknown field ${field} (known: ${[...META].join(', ')})` };
  if (op === '~' || op === '!~') {
    if (value.length > MAX_PATTERN_CHARS) return { ok: false, error: `regular expression longer than ${MAX_PATTERN_CHARS} characters` };
    if (NESTED_QUANTIFIER.test(value)) return { ok: false, error: `regular expression /${value}/ nests quantifiers (e.g. (a+)+): too slow on some inputs; simplify it` };
    try {
      return { ok: true, predicate: { field, op, value, regex: new RegExp(value, 'u') } };
    } catch (e) {
      return { ok: false, error: `invalid regular expression /${value}/: ${(e as Error).message}` };
    }
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
    case '$key': return r.key;
    case '$topic': return r.position?.topic;
    case '$partition': return r.position ? String(r.position.partition) : undefined;
    case '$offset': return r.position?.offset;
    case '$errorCode': return r.errorCode;
    default: return r.errorMessage;
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
