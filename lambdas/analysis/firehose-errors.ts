/**
 * Firehose's S3 delivery errors, read from its error log (group `/aws/kinesisfirehose/<stream>`,
 * stream `S3Delivery`): the only place per-delivery S3 errors appear. Each event is one JSON
 * object, e.g.
 *   {"deliveryStreamARN":"arn:aws:firehose:…:deliverystream/order-firehose",
 *    "destination":"arn:aws:s3:::orders-lake","deliveryStreamVersionId":7,
 *    "message":"Access was denied. …","errorCode":"S3.AccessDenied"}
 * Pure: no I/O.
 */

/**
 * What an error code says about the fix:
 * - access: the role (or a bucket/account policy) refuses the delivery: an IAM or bucket policy
 *   change, never automatic (S3.MethodNotAllowed is the bucket policy's);
 * - bucket: the bucket is gone or misconfigured;
 * - kms: the encryption key is denied, disabled or missing: a KMS change, never automatic;
 * - rate: S3 or KMS slows the requests down: fewer, larger objects help (buffering);
 * - transient: an internal error Firehose retries by itself;
 * - other: a code this playbook does not know.
 */
export type DeliveryErrorClass = 'access' | 'bucket' | 'kms' | 'rate' | 'transient' | 'other';

const RULES: readonly [RegExp, DeliveryErrorClass][] = [
  [/^(S3\.)?(SlowDown|KMS\.(RequestLimitExceeded|ThrottlingException|LimitExceededException)|KMS\.KMSThrottlingException)$/i, 'rate'],
  [/^(S3\.)?KMS\./i, 'kms'],
  // S3.MethodNotAllowed: "Modify the bucket's policy to allow the correct Amazon S3 operation permissions"
  // (Firehose Developer Guide, data delivery errors): a policy change, never automatic.
  [
    /^S3\.(AccessDenied|AllAccessDisabled|AccountProblem|InvalidPayer|NotSignedUp|SubscriptionRequired|InvalidToken|ExpiredToken|InvalidAccessKeyId|MethodNotAllowed)/i,
    'access',
  ],
  [/^S3\.(NoSuchBucket|IllegalLocationConstraintException|InvalidPrefixConfigurationException|PermanentRedirect|InvalidBucketName)/i, 'bucket'],
  [/^(S3\.)?(InternalError|ServiceUnavailable|RequestTimeout|MultipartUpload\.NoSuchUpload)$/i, 'transient'],
];

export function classifyDeliveryError(code: string): DeliveryErrorClass {
  return RULES.find(([re]) => re.test(code))?.[1] ?? 'other';
}

export interface ParsedDeliveryError {
  code: string;
  message: string;
}

const CODE_FIELD = /"?errorCode"?\s*[:=]\s*"?([A-Za-z][\w.]*)/;
const BARE_CODE = /\b((?:S3|KMS)\.[A-Za-z][\w.]*[A-Za-z]|InternalError)\b/;

/** One log event → its error code and message; undefined when it names no error. */
export function parseDeliveryErrorLine(line: string): ParsedDeliveryError | undefined {
  const text = line.trim();
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      if (typeof o.errorCode === 'string' && o.errorCode.length > 0) {
        return { code: o.errorCode, message: typeof o.message === 'string' ? o.message : '' };
      }
    } catch {
      // A cut or hand-written line: fall through to the patterns.
    }
  }
  const code = CODE_FIELD.exec(text)?.[1] ?? BARE_CODE.exec(text)?.[1];
  return code ? { code, message: text } : undefined;
}

export interface DeliveryErrorCount {
  code: string;
  class: DeliveryErrorClass;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  /** The newest message of this code, as Firehose wrote it. */
  lastMessage: string;
}

export interface DeliveryErrorSummary {
  total: number;
  /** Events that named no error code. */
  unparsed: number;
  /** Most frequent first; ties: newest first. */
  byCode: DeliveryErrorCount[];
  classes: DeliveryErrorClass[];
}

export function summarizeDeliveryErrors(events: readonly { timestampMs: number; message: string }[]): DeliveryErrorSummary {
  const by = new Map<string, DeliveryErrorCount>();
  let unparsed = 0;
  for (const ev of events) {
    const p = parseDeliveryErrorLine(ev.message);
    if (!p) {
      unparsed++;
      continue;
    }
    const c = by.get(p.code);
    if (!c) {
      by.set(p.code, {
        code: p.code,
        class: classifyDeliveryError(p.code),
        count: 1,
        firstAtMs: ev.timestampMs,
        lastAtMs: ev.timestampMs,
        lastMessage: p.message,
      });
      continue;
    }
    c.count++;
    c.firstAtMs = Math.min(c.firstAtMs, ev.timestampMs);
    if (ev.timestampMs >= c.lastAtMs) {
      c.lastAtMs = ev.timestampMs;
      c.lastMessage = p.message;
    }
  }
  const byCode = [...by.values()].sort((a, b) => b.count - a.count || b.lastAtMs - a.lastAtMs);
  return {
    total: byCode.reduce((a, c) => a + c.count, 0),
    unparsed,
    byCode,
    classes: [...new Set(byCode.map((c) => c.class))],
  };
}

/** `S3.AccessDenied×42, S3.KMS.KeyDisabled×3`: the counts in one evidence string. */
export const errorCountsText = (s: DeliveryErrorSummary): string => (s.byCode.length === 0 ? 'none' : s.byCode.map((c) => `${c.code}×${c.count}`).join(', '));
