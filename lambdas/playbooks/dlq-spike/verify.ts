import { parseS3Uri } from '../../core/object-store';
import { newestObjects, QUARANTINE_DIR } from '../../analysis/dlq';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import type { DlqSpikeSettings } from './manifest';

/**
 * Recovered when no DLQ object was written for `quietMinutesToRecover` minutes (the same quiet
 * the alarm needs to return to OK); pending while objects keep arriving. Only listings: the
 * objects themselves are not read.
 */
export async function verifyDlqSpike(ctx: PlaybookContext<DlqSpikeSettings>): Promise<VerifyOutcome> {
  const now = ctx.clock.now();
  const quietMs = ctx.settings.bounds.quietMinutesToRecover * 60_000;
  const { bucket, prefix } = parseS3Uri(ctx.pipeline.dlq!.s3);
  const newest = (await newestObjects(ctx.aws.s3, bucket, prefix, now, { maxObjects: 1, lookbackHours: 1, exclude: (k) => k.startsWith(QUARANTINE_DIR) }))
    .objects[0];
  const ageSeconds = newest ? Math.round((now - newest.lastModifiedMs) / 1000) : null;
  const evidence = { newestDlqObjectAgeSeconds: ageSeconds, quietSecondsNeeded: quietMs / 1000 };
  if (!newest || now - newest.lastModifiedMs >= quietMs) {
    return { status: 'recovered', summary: newest ? `no DLQ object written for ${ageSeconds} s` : 'no DLQ object written in the last hour', evidence };
  }
  return { status: 'pending', summary: `a DLQ object was written ${ageSeconds} s ago`, evidence };
}
