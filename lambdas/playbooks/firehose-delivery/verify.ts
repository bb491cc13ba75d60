import { latest, trendOf, type Series } from '../../analysis/firehose';
import { assessRecordLoss, freshnessPoints } from '../../analysis/firehose-loss';
import type { Evidence } from '../../core/decision';
import type { PlaybookContext, VerifyOutcome } from '../../core/playbook';
import { readStreamMetrics } from './diagnose';
import { recordsLostStatement } from './facts';
import { streamNameOf, type FirehoseDeliverySettings } from './manifest';

const since = (s: Series, fromMs: number): Series => {
  const i = s.timestampsMs.findIndex((t) => t >= fromMs);
  return i < 0 ? { timestampsMs: [], values: [] } : { timestampsMs: s.timestampsMs.slice(i), values: s.values.slice(i) };
};

/**
 * Recovered when DeliveryToS3.Success is back to 1 and the freshness falls (below its value at
 * the fix, not rising since) or is back under the alarm threshold. Anything else is pending: the
 * engine looks again until the verification deadline, then escalates VERIFY_FAILED. Either way
 * the outcome says whether records were lost.
 */
export async function verifyFirehoseDelivery(
  ctx: PlaybookContext<FirehoseDeliverySettings>,
  incident: { startedAtMs: number; fixedAtMs?: number; evidence: Evidence },
): Promise<VerifyOutcome> {
  const stream = streamNameOf(ctx.pipeline);
  const b = ctx.settings.bounds;
  const nowMs = ctx.clock.now();
  const retentionSeconds = Math.round(b.retentionHours * 3_600);
  const { recent, history } = await readStreamMetrics(ctx, stream, nowMs, retentionSeconds);
  const fromMs = incident.fixedAtMs ?? incident.startedAtMs;
  const success = latest(since(recent.success, fromMs));
  const freshnessSinceFix = since(recent.freshness, fromMs);
  const freshness = latest(freshnessSinceFix);
  const atFix = typeof incident.evidence.freshnessSeconds === 'number' ? incident.evidence.freshnessSeconds : undefined;
  const trend = trendOf(freshnessSinceFix);
  const points = freshnessPoints(history.freshness, history.periodSeconds, recent.freshness, recent.periodSeconds);
  const loss = assessRecordLoss(points, history.incomingRecords, history.periodSeconds, retentionSeconds);
  const statement = recordsLostStatement(loss, retentionSeconds);
  const evidence: Evidence = {
    deliverySuccessRatio: success ?? null,
    freshnessSeconds: freshness ?? null,
    freshnessAtFixSeconds: atFix ?? null,
    freshnessTrend: trend,
    recordsLost: loss.verdict,
    lostRecordsEstimate: loss.lostRecordsEstimate,
    recordsLostStatement: statement,
  };
  const delivering = success !== undefined && success >= 1;
  const falling = freshness !== undefined && (freshness <= b.freshnessThresholdSeconds || ((atFix === undefined || freshness < atFix) && trend !== 'rising'));
  if (delivering && falling) {
    return {
      status: 'recovered',
      summary: `${stream} delivers again: success ${success}, freshness ${freshness} s (was ${atFix ?? 'n/a'} s at the fix); ${statement}`,
      evidence,
    };
  }
  const why = !delivering
    ? `success ${success ?? 'n/a'} since the fix`
    : `freshness ${freshness ?? 'n/a'} s is not falling (was ${atFix ?? 'n/a'} s at the fix)`;
  return { status: 'pending', summary: `${stream} has not recovered yet: ${why}; ${statement}`, evidence };
}
