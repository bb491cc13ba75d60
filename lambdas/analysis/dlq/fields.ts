/** Field paths of JSON payloads, for schema drift. */

export const MAX_FIELD_DEPTH = 3;
/** Array elements looked at for their fields (`items[].sku`). */
const ARRAY_ELEMENTS = 5;
/** A payload with more paths than this is cut: drift is about names, not huge documents. */
const MAX_PATHS_PER_PAYLOAD = 500;

/** `{"a":1,"b":{"c":2},"items":[{"sku":1}]}` → `a`, `b`, `b.c`, `items`, `items[].sku`. */
export function fieldPaths(value: unknown, maxDepth = MAX_FIELD_DEPTH): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (depth >= maxDepth || out.size >= MAX_PATHS_PER_PAYLOAD) return;
    if (Array.isArray(v)) {
      for (const x of v.slice(0, ARRAY_ELEMENTS)) walk(x, `${prefix}[]`, depth);
      return;
    }
    if (!isRecord(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (out.size >= MAX_PATHS_PER_PAYLOAD) return;
      const path = prefix === '' ? k : `${prefix}.${k}`;
      out.add(path);
      walk(x, path, depth + 1);
    }
  };
  if (isRecord(value)) walk(value, '', 0);
  return out;
}

/** The JSON object a payload holds, or undefined (not JSON, or not an object). */
export function payloadObject(text: string): Record<string, unknown> | undefined {
  const t = text.trimStart();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON values written back to back (`{…}{…}`, Firehose adds no separator) or one per line.
 * Scans braces outside strings; a value that does not parse is skipped.
 */

import { isRecord } from '../../util/is-record';
export function splitConcatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = depth > 0;
    else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === 0x7d || c === 0x5d) && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // unbalanced or invalid: skip it
        }
        start = -1;
      }
    }
  }
  return out;
}
