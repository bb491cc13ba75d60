import { StsAdapter, type CallerIdentity } from '../lambdas/adapters/sts';

/**
 * Who runs a manual operation from the CLI: STS GetCallerIdentity of the credentials in use
 * (the default chain), stated in the payload as `requestedBy` and kept in the operation record.
 * Without an answer the command does not run: an operation is never recorded as nobody's.
 */
export async function whoIsCalling(
  region: string,
  ask?: () => Promise<CallerIdentity>,
): Promise<{ ok: true; identity: CallerIdentity } | { ok: false; error: string }> {
  try {
    return { ok: true, identity: await (ask ?? (() => StsAdapter.fromOptions({ region }).callerIdentity()))() };
  } catch (e) {
    return { ok: false, error: `cannot tell who is running this (STS GetCallerIdentity: ${(e as Error).message}): check your AWS credentials` };
  }
}
