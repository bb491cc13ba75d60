/**
 * Samples a person reads: secret-like values masked, card-like numbers masked, then cut.
 * Masking runs on the text before the cut, so a secret straddling the cut is masked too.
 */

/** Field names whose values are never shown (matched anywhere in the name, any case). */
export const SECRET_FIELD = /passw(?:or)?d|pwd|secret|token|api[-_]?key|authorization|credential|private[-_]?key|(?:^|[-_.])ssn(?:$|[-_.])|cvv|cvc|card[-_]?number|cardnumber/i;

/** Text beyond this is not even masked: only the first part of a payload is ever shown. */
const MASK_WINDOW_CHARS = 64 * 1024;
const MASK = '***';

/** `"password": "x"`, `password=x`, `'api_key': 'x'` in text that is not (valid) JSON. */
const KEY_VALUE = /(["']?)([A-Za-z0-9_.-]*)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|(?:(?:Bearer|Basic|Token)\s+)?[^\s,&;}\]]+)/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
const CARD_LIKE = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function maskCards(text: string): string {
  return text.replace(CARD_LIKE, (m) => {
    const digits = m.replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || !luhnValid(digits)) return m;
    return `****${digits.slice(-4)}`;
  });
}

function maskText(text: string): string {
  const kv = text.replace(KEY_VALUE, (m, q: string, name: string, sep: string, value: string) => {
    if (!SECRET_FIELD.test(name)) return m;
    const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
    return `${q}${name}${q}${sep}${quote}${MASK}${quote}`;
  });
  return maskCards(kv.replace(BEARER, (_m, scheme: string) => `${scheme} ${MASK}`).replace(ACCESS_KEY_ID, MASK));
}

function maskValue(v: unknown, depth: number): unknown {
  if (depth > 20) return MASK;
  if (Array.isArray(v)) return v.map((x) => maskValue(x, depth + 1));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_FIELD.test(k) ? MASK : maskValue(x, depth + 1);
    return out;
  }
  if (typeof v === 'string') return maskText(v);
  if (typeof v === 'number' && Number.isInteger(v)) {
    const s = String(v);
    return s.length >= 13 && s.length <= 19 && luhnValid(s) ? `****${s.slice(-4)}` : v;
  }
  return v;
}

/** Masks secrets in a payload: structurally when it is JSON, by patterns otherwise. */
export function maskSecrets(text: string): string {
  const window = text.length > MASK_WINDOW_CHARS ? text.slice(0, MASK_WINDOW_CHARS) : text;
  const t = window.trimStart();
  if (window.length === text.length && (t.startsWith('{') || t.startsWith('['))) {
    try {
      return maskCards(JSON.stringify(maskValue(JSON.parse(window), 0)));
    } catch {
      // not JSON after all: fall through to the text patterns
    }
  }
  return maskText(window);
}

/** Cuts to `maxChars` characters (code points are not split), marking the cut with `…`. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = Math.max(0, maxChars - 1);
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** What a sample shows of a payload: masked, then cut. */
export const samplePayload = (text: string, maxChars: number): string => truncate(maskSecrets(text), maxChars);
