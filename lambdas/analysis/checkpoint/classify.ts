import type { PipelineConfig } from '../../config/schema';
import { isRecord } from '../../util/is-record';

/**
 * Failure text → kind of checkpoint failure. Pure; the patterns are regular expressions
 * (case-insensitive) from the playbook's settings, defaulting to these.
 */

/** Spark's own words for a metadata log it cannot read (3.x messages and 4.x error classes). */
export const DEFAULT_CORRUPTION_PATTERNS = [
  'Log file was malformed',
  'MALFORMED_LOG_FILE',
  'UnsupportedLogVersion',
  'INVALID_LOG_VERSION',
  'Incomplete log file',
  "batch \\d+ doesn't exist",
  'failed to read log file for batch',
];

export const DEFAULT_STATE_STORE_PATTERNS = ['CANNOT_LOAD_STATE_STORE', 'Error reading (delta|snapshot) file', 'CANNOT_READ_(DELTA|SNAPSHOT)_FILE'];
export const DEFAULT_ACCESS_PATTERNS = ['AccessDenied', 'Access Denied', '403 Forbidden', 'Status Code: 403', 'not authorized to perform'];
export const DEFAULT_KMS_PATTERNS = ['KMS\\.\\w+Exception', 'AWSKMSException', 'kms:\\w+', 'KMS key', 'KMS\\.NotFoundException', 'KMS\\.DisabledException'];
export const DEFAULT_TIMEOUT_PATTERNS = [
  'timed? ?out',
  'SocketTimeoutException',
  'TimeoutException',
  'Checkpoint expired before completing',
  'RequestTimeout',
  'SlowDown',
  'took longer than',
];
export const DEFAULT_DISK_FULL_PATTERNS = ['No space left on device', 'disk (is )?full', 'DiskFull', 'ENOSPC', 'Disk quota exceeded'];

export type TextClass = 'kms' | 'access-denied' | 'corruption' | 'state-store' | 'disk-full' | 'timeout';

export interface PatternSet {
  corruptionPatterns: string[];
  stateStorePatterns: string[];
  accessDeniedPatterns: string[];
  kmsPatterns: string[];
  timeoutPatterns: string[];
  diskFullPatterns: string[];
}

const first = (patterns: string[], text: string): string | undefined => patterns.find((p) => new RegExp(p, 'i').test(text));

/** Every kind the text names, most specific first, with the pattern that matched. */
export function classifyText(text: string | undefined, p: PatternSet): { kind: TextClass; pattern: string }[] {
  if (!text) return [];
  const order: [TextClass, string[]][] = [
    ['kms', p.kmsPatterns],
    ['access-denied', p.accessDeniedPatterns],
    ['corruption', p.corruptionPatterns],
    ['state-store', p.stateStorePatterns],
    ['disk-full', p.diskFullPatterns],
    ['timeout', p.timeoutPatterns],
  ];
  const out: { kind: TextClass; pattern: string }[] = [];
  for (const [kind, pats] of order) {
    const m = first(pats, text);
    if (m) out.push({ kind, pattern: m });
  }
  return out;
}

/** `s3://b/p/` → the ways a failure message names it: `s3://b/p`, `s3a://b/p`, `b/p`. */
function locationNames(checkpointUri: string): string[] {
  const bare = checkpointUri.replace(/^s3:\/\//, '').replace(/\/+$/, '');
  return [bare, `s3://${bare}`, `s3a://${bare}`];
}

/**
 * Whether a job failure is this playbook's: the text has a checkpoint corruption or state
 * store signature, or it names the checkpoint location together with any failure kind.
 * job-failed leaves these to checkpoint-failure when that playbook is not off.
 */
export function isCheckpointFailure(text: string | undefined, checkpointUri: string, p: PatternSet): boolean {
  if (!text) return false;
  const kinds = classifyText(text, p).map((k) => k.kind);
  if (kinds.includes('corruption') || kinds.includes('state-store')) return true;
  const mentions = locationNames(checkpointUri).some((n) => text.includes(n)) || /checkpoint/i.test(text);
  return mentions && kinds.length > 0;
}

/** The versions in "maximum supported log version is v1, but encountered v2". */
export function unsupportedVersionOf(text: string | undefined): { maxSupported: number; encountered: number } | undefined {
  const m = /maximum supported log version is v(\d+), but encountered v(\d+)/i.exec(text ?? '');
  return m ? { maxSupported: Number(m[1]), encountered: Number(m[2]) } : undefined;
}

/** Flink: a state too large to checkpoint or restore in time, or to hold in memory. */
export const DEFAULT_STATE_TOO_LARGE_PATTERNS = [
  'OutOfMemoryError',
  'exceeds the maximum (state|checkpoint|message) size',
  'state (is )?too large',
  'Could not materialize checkpoint',
];

/**
 * The checkpoint-failure playbook's block of a pipeline when it is on (not `off`): its patterns
 * decide which job failures are that playbook's. The full config schema validated the block; a
 * block without patterns counts as off.
 */
export function checkpointPatternsOf(pipeline: PipelineConfig): PatternSet | undefined {
  const block: unknown = pipeline.playbooks['checkpoint-failure'];
  if (!isRecord(block) || block.mode === 'off' || !isRecord(block.bounds)) return undefined;
  return block.bounds as unknown as PatternSet;
}
