/**
 * The part of EventBridge event pattern matching streamfix's rules use, plus the common
 * content filters: a pattern field is either an array of allowed values (exact scalars or
 * filters such as {"prefix": "..."}, {"anything-but": [...]}, {"exists": true},
 * {"numeric": [">", 0]}, {"equals-ignore-case": "..."}, {"suffix": "..."}) or a nested pattern;
 * `$or` holds alternative patterns. An array in the event matches when any element does.
 */

import { isRecord } from '../../lambdas/util/is-record';

export type EventPattern = { [key: string]: unknown };

export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';
}

function numeric(value: unknown, spec: unknown[]): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const n = spec[i + 1] as number;
    const ok = op === '=' ? value === n : op === '<' ? value < n : op === '<=' ? value <= n : op === '>' ? value > n : op === '>=' ? value >= n : false;
    if (!ok) return false;
  }
  return true;
}

function matchFilter(value: unknown, present: boolean, filter: unknown, path: string): boolean {
  if (!isRecord(filter)) {
    if (!present) return false;
    if (Array.isArray(value)) return value.some((v) => v === filter);
    return value === filter;
  }
  const [op, arg] = Object.entries(filter)[0] ?? [];
  if (op === 'exists') return present === arg;
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  switch (op) {
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(String(arg)));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && v.endsWith(String(arg)));
    case 'equals-ignore-case':
      return values.some((v) => typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase());
    case 'anything-but': {
      const banned = Array.isArray(arg) ? arg : [arg];
      if (isRecord(arg) && 'prefix' in arg) return values.every((v) => typeof v !== 'string' || !v.startsWith(String(arg.prefix)));
      return values.every((v) => !banned.includes(v));
    }
    case 'numeric':
      return values.some((v) => numeric(v, arg as unknown[]));
    default:
      throw new InvalidPatternError(`${path}: unsupported filter ${JSON.stringify(filter)}`);
  }
}

export function matchesPattern(pattern: EventPattern, event: unknown, path = ''): boolean {
  if (!isRecord(pattern)) throw new InvalidPatternError(`${path || '(root)'}: a pattern must be an object`);
  const obj = isRecord(event) ? event : {};
  for (const [key, spec] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(spec)) throw new InvalidPatternError(`${here}: must be an array of patterns`);
      if (!spec.some((p) => matchesPattern(p as EventPattern, event, here))) return false;
      continue;
    }
    const present = Object.hasOwn(obj, key);
    const value = obj[key];
    if (Array.isArray(spec)) {
      if (!spec.some((f) => matchFilter(value, present, f, here))) return false;
    } else if (isRecord(spec)) {
      if (!present || !isRecord(value)) {
        // A nested pattern can still match a missing object if every leaf is {"exists": false}.
        if (!matchesPattern(spec, {}, here)) return false;
      } else if (!matchesPattern(spec, value, here)) return false;
    } else {
      throw new InvalidPatternError(`${here}: a pattern value must be an array or an object, not ${JSON.stringify(spec)}`);
    }
  }
  return true;
}
