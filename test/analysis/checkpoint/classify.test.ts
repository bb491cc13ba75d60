import { describe, expect, it } from 'vitest';
import {
  classifyText,
  DEFAULT_ACCESS_PATTERNS,
  DEFAULT_CORRUPTION_PATTERNS,
  DEFAULT_DISK_FULL_PATTERNS,
  DEFAULT_KMS_PATTERNS,
  DEFAULT_STATE_STORE_PATTERNS,
  DEFAULT_TIMEOUT_PATTERNS,
  isCheckpointFailure,
  unsupportedVersionOf,
  type PatternSet,
} from '../../../lambdas/analysis/checkpoint/classify';

const P: PatternSet = {
  corruptionPatterns: DEFAULT_CORRUPTION_PATTERNS,
  stateStorePatterns: DEFAULT_STATE_STORE_PATTERNS,
  accessDeniedPatterns: DEFAULT_ACCESS_PATTERNS,
  kmsPatterns: DEFAULT_KMS_PATTERNS,
  timeoutPatterns: DEFAULT_TIMEOUT_PATTERNS,
  diskFullPatterns: DEFAULT_DISK_FULL_PATTERNS,
};
const CP = 's3://cp-bucket/orders/';

describe('checkpoint failure text', () => {
  it('names every kind the text shows, most specific first', () => {
    expect(classifyText('AWSKMSException: Access Denied (Status Code: 403) while checkpoint write timed out', P).map((k) => k.kind)).toEqual([
      'kms',
      'access-denied',
      'timeout',
    ]);
    expect(classifyText(undefined, P)).toEqual([]);
    expect(classifyText('NullPointerException', P)).toEqual([]);
  });

  it('is a checkpoint failure on a corruption or state-store signature alone', () => {
    expect(isCheckpointFailure('java.lang.IllegalStateException: Log file was malformed: failed to read correct log version', CP, P)).toBe(true);
    expect(isCheckpointFailure('[CANNOT_LOAD_STATE_STORE] An error occurred during loading state', CP, P)).toBe(true);
  });

  it('is one for another kind only when the text names the checkpoint (any of s3://, s3a:// or bare) or checkpoints', () => {
    expect(isCheckpointFailure('AccessDenied on s3a://cp-bucket/orders/offsets/12', CP, P)).toBe(true);
    expect(isCheckpointFailure('AccessDenied on cp-bucket/orders/commits/3', CP, P)).toBe(true);
    expect(isCheckpointFailure('No space left on device while writing checkpoint', CP, P)).toBe(true);
    expect(isCheckpointFailure('AccessDenied on s3://data-bucket/input/part-0', CP, P)).toBe(false);
    expect(isCheckpointFailure('checkpoint s3://cp-bucket/orders/ is fine; NullPointerException in the query', CP, P)).toBe(false);
    expect(isCheckpointFailure(undefined, CP, P)).toBe(false);
  });

  it('reads the log versions of an UnsupportedLogVersion message', () => {
    expect(unsupportedVersionOf('UnsupportedLogVersion: maximum supported log version is v1, but encountered v2')).toEqual({ maxSupported: 1, encountered: 2 });
    expect(unsupportedVersionOf('Log file was malformed')).toBeUndefined();
  });
});
