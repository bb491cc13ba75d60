import type { S3ObjectView } from '../../core/object-store';

/** Comparing a prefix with a copy of it, object by object, from their listings. Pure. */

export interface CopyCheck {
  ok: boolean;
  sourceObjects: number;
  sourceBytes: number;
  copyObjects: number;
  copyBytes: number;
  /** Source keys (relative) absent from the copy. */
  missing: string[];
  /** Source keys (relative) whose copy has another size. */
  sizeMismatch: string[];
  /** Keys (relative) only in the copy. */
  extra: string[];
}

export const byRelativeKey = (objects: readonly S3ObjectView[], prefix: string, skip?: (k: string) => boolean): Map<string, S3ObjectView> => {
  const m = new Map<string, S3ObjectView>();
  for (const o of objects) {
    const rel = o.key.slice(prefix.length);
    if (!skip?.(rel)) m.set(rel, o);
  }
  return m;
};

/** Compares two listings (of `fromPrefix` and `toPrefix`) object by object (relative key and size) and in total. */
export function compareObjects(
  a: readonly S3ObjectView[],
  fromPrefix: string,
  b: readonly S3ObjectView[],
  toPrefix: string,
  skip: (rel: string) => boolean,
): CopyCheck {
  const sm = byRelativeKey(a, fromPrefix, skip);
  const dm = byRelativeKey(b, toPrefix, skip);
  const missing: string[] = [];
  const sizeMismatch: string[] = [];
  for (const [k, o] of sm) {
    const d = dm.get(k);
    if (d === undefined) missing.push(k);
    else if (d.size !== o.size) sizeMismatch.push(k);
  }
  const extra = [...dm.keys()].filter((k) => !sm.has(k));
  const sum = (m: Map<string, S3ObjectView>) => [...m.values()].reduce((n, x) => n + x.size, 0);
  return {
    ok: missing.length === 0 && sizeMismatch.length === 0 && extra.length === 0,
    sourceObjects: sm.size,
    sourceBytes: sum(sm),
    copyObjects: dm.size,
    copyBytes: sum(dm),
    missing,
    sizeMismatch,
    extra,
  };
}
