import { defaultMasking, type MaskingConfig, type ValueKind } from '../../config/masking';

/**
 * Samples a person reads (pages, SNS, the ledger): personal data and secrets masked, then cut.
 * Masking runs on the text before the cut, so a value straddling the cut is masked too.
 *
 * - By field name: the value of a field whose name has a masked word (`customer_email`,
 *   `phoneNumber`, `date_of_birth`, `pin`), at any depth of a JSON payload, and in `name=value`
 *   / `"name": value` text, becomes `***`.
 * - By value, wherever it appears: e-mail addresses (`***@***`), card numbers that pass the Luhn
 *   check and IBANs that pass ISO 13616's mod-97 check (`****` + the last four), bearer tokens
 *   and AWS access key ids (`***`).
 *
 * Every pattern here has bounded repetitions: masking stays linear in the text it reads.
 */

const MASK = '***';
/** Text beyond this is not even masked: only the first part of a payload is ever shown. */
const MASK_WINDOW_CHARS = 64 * 1024;

/**
 * `"password": "x"`, `password=x`, `'api_key': 'x'` in text that is not (valid) JSON. An
 * unquoted value ends at a separator or `=` (so `note: pass=x` is read as two pairs) and is at
 * most 256 characters: a pair whose name is not masked is read again from its value.
 */
const KEY_VALUE =
  /(["']?)([A-Za-z][A-Za-z0-9_.-]{0,63})\1(\s{0,8}[:=]\s{0,8})("(?:[^"\\]|\\.){0,4096}"?|'[^']{0,4096}'?|(?:(?:Bearer|Basic|Token)\s{1,8})?[^\s,&;}\]=]{1,256})/gi;
const BEARER = /\b(Bearer|Basic)\s{1,8}[A-Za-z0-9._~+/=-]{8,4096}/gi;
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
const CARD_LIKE = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g;
/** Country code, check digits, then 11–30 letters or digits, in groups of four or not. */
const IBAN_LIKE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;

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

/** ISO 13616: move the first four characters to the end, letters to 10–35, the number mod 97 is 1. */
export function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const moved = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const d of v) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/** `customerEmail` / `customer_email` / `date-of-birth` → the lower-case words of the name. */
const words = (name: string): string[] =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

export class Masker {
  private readonly masked: ReadonlySet<string>;
  private readonly kept: ReadonlySet<string>;
  private readonly values: ReadonlySet<ValueKind>;
  readonly enabled: boolean;

  constructor(cfg: MaskingConfig = defaultMasking()) {
    this.enabled = cfg.enabled;
    this.masked = new Set([...cfg.fields, ...cfg.extraFields].map((f) => f.toLowerCase().replace(/[^a-z0-9]/g, '')));
    this.kept = new Set(cfg.keepFields.map((f) => f.toLowerCase()));
    this.values = new Set(cfg.values);
  }

  /** Whether a field of this name is masked whatever its value. */
  fieldMasked(name: string): boolean {
    if (!this.enabled || this.kept.has(name.toLowerCase())) return false;
    const w = words(name);
    return w.some((x) => this.masked.has(x)) || this.masked.has(w.join(''));
  }

  /** Masks a payload: structurally when it is JSON, by patterns otherwise. */
  mask(text: string): string {
    if (!this.enabled) return text;
    const window = text.length > MASK_WINDOW_CHARS ? text.slice(0, MASK_WINDOW_CHARS) : text;
    const t = window.trimStart();
    if (window.length === text.length && (t.startsWith('{') || t.startsWith('['))) {
      try {
        return this.maskValues(JSON.stringify(this.maskJson(JSON.parse(window), 0)));
      } catch {
        // not JSON after all: fall through to the text patterns
      }
    }
    return this.maskText(window);
  }

  private maskJson(v: unknown, depth: number): unknown {
    if (depth > 20) return MASK;
    if (Array.isArray(v)) return v.map((x) => this.maskJson(x, depth + 1));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.fieldMasked(k) ? MASK : this.maskJson(x, depth + 1);
      return out;
    }
    if (typeof v === 'string') return this.maskText(v);
    if (typeof v === 'number' && Number.isInteger(v) && this.values.has('card')) {
      const s = String(v);
      return s.length >= 13 && s.length <= 19 && luhnValid(s) ? `****${s.slice(-4)}` : v;
    }
    return v;
  }

  private maskText(text: string): string {
    return this.maskValues(this.values.has('secret-pair') || this.masked.size > 0 ? this.maskPairs(text) : text);
  }

  /** `name=value` pairs whose name is masked; a pair with another name is read again from its value. */
  private maskPairs(text: string): string {
    const re = new RegExp(KEY_VALUE.source, KEY_VALUE.flags);
    let out = '';
    let copied = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const [, q = '', name = '', sep = '', value = ''] = m;
      const valueAt = m.index + q.length * 2 + name.length + sep.length;
      if (!this.fieldMasked(name)) {
        re.lastIndex = valueAt;
        continue;
      }
      const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
      out += `${text.slice(copied, valueAt)}${quote}${MASK}${quote}`;
      copied = valueAt + value.length;
      re.lastIndex = copied;
    }
    return out + text.slice(copied);
  }

  /** Masks values by their shape, wherever they are (also in JSON text already masked by name). */
  private maskValues(text: string): string {
    let out = text;
    if (this.values.has('bearer')) out = out.replace(BEARER, (_m, scheme: string) => `${scheme} ${MASK}`);
    if (this.values.has('access-key')) out = out.replace(ACCESS_KEY_ID, MASK);
    if (this.values.has('email')) out = out.replace(EMAIL, '***@***');
    if (this.values.has('iban')) {
      out = out.replace(IBAN_LIKE, (m) => {
        const compact = m.replace(/ /g, '');
        return ibanValid(compact) ? `****${compact.slice(-4)}` : m;
      });
    }
    if (this.values.has('card')) {
      out = out.replace(CARD_LIKE, (m) => {
        const digits = m.replace(/[ -]/g, '');
        return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? `****${digits.slice(-4)}` : m;
      });
    }
    return out;
  }
}

export const defaultMasker = new Masker();

/** Masks with the default rules (every field name and value kind). */
export const maskSecrets = (text: string, masker: Masker = defaultMasker): string => masker.mask(text);

/** Cuts to `maxChars` characters (code points are not split), marking the cut with `…`. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = Math.max(0, maxChars - 1);
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** What a sample shows of a payload: masked, then cut. */
export const samplePayload = (text: string, maxChars: number, masker: Masker = defaultMasker): string => truncate(masker.mask(text), maxChars);
