/**
 * What kind of AWS call a call is, as the drills judge it: the proof's invariants and the
 * timeline's kill points use the same rules.
 */

/** Services whose calls never change the platform under remediation (bookkeeping, reads, pages). */
const BOOKKEEPING = new Set(['scheduler', 'ssm', 'sns', 'cloudwatch', 'secrets-manager', 'pagerduty', 'dynamodb']);

/** Operations that change the platform (a corrective action), as opposed to reads and bookkeeping. */
export function isCorrective(service: string, operation: string): boolean {
  if (BOOKKEEPING.has(service)) return false;
  if (service === 's3' && (operation === 'PutObject' || operation === 'DeleteObjects')) return true;
  return /^(Start|Cancel|Stop|Update|Copy|Delete|Reboot|Modify|Restore|Create)/.test(operation);
}

/** A call that writes data downstream: a replay's batch (Firehose or Kafka) is one, as is any corrective call. */
export function isMutation(service: string, operation: string): boolean {
  if (service === 'firehose' && (operation === 'PutRecordBatch' || operation === 'PutRecord')) return true;
  if (service === 'kafka' && operation === 'Send') return true;
  return isCorrective(service, operation);
}

/** A read of the platform (what a diagnosis does): neither a mutation nor bookkeeping. */
export function isPlatformRead(service: string, operation: string): boolean {
  return !BOOKKEEPING.has(service) && !isMutation(service, operation);
}
