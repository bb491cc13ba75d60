import { zeroCounts, type TypeCounts } from '../../../lambdas/analysis/dlq';
import { emrPipeline } from '../../helpers/pipelines';
import { parseConfig } from '../../../lambdas/schema';
import type { DlqSpikeEvidence } from '../../../lambdas/playbooks/dlq-spike/diagnose';
import type { DlqSpikeSettings } from '../../../lambdas/playbooks/dlq-spike/manifest';
import exampleConfig from '../../../streamfix.config';

export const T0 = Date.parse('2026-11-22T10:30:00Z');
export const config = parseConfig({
  ...exampleConfig,
  pipelines: {
    orders: { ...exampleConfig.pipelines.orders, sink: { kind: 'firehose', deliveryStreamName: 'order-firehose', s3: 's3://orders-data-lake/orders/' } },
  },
});
export const pipeline = emrPipeline(config.pipelines.orders);
export const settings = pipeline.playbooks['dlq-spike'] as DlqSpikeSettings;

/** Evidence of a spike at T0 (alarm fired 2 min before), 100 sampled records of the given types. */
export function evidence(byType: Partial<TypeCounts>, patch: Partial<DlqSpikeEvidence> = {}): DlqSpikeEvidence {
  const counts = { ...zeroCounts(), ...byType };
  const records = Object.values(counts).reduce((a, b) => a + b, 0);
  const top = (Object.entries(counts) as [keyof TypeCounts, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return {
    dlqUri: pipeline.dlq!.s3,
    alarm: { recordsPerMinute: 450, stateAtMs: T0 - 120_000 },
    sample: {
      objectsListed: 3,
      objectsRead: 3,
      layout: 'hourly',
      listingComplete: true,
      lines: records,
      badLines: 0,
      oversizedLines: 0,
      bytesRead: 1_000,
      truncated: false,
    },
    breakdown: {
      records,
      byType: counts,
      ...(records ? { dominant: { type: top[0], share: top[1] / records } } : {}),
      samples: [],
      topMessages: [],
      byJobRun: {},
      ...(records ? { oldestAtMs: T0 - 300_000, newestAtMs: T0 - 1_000 } : {}),
    },
    drift: {
      failingRecords: records,
      referenceRecords: 200,
      newFields: [],
      missingFields: [],
      renames: [],
      referenceSource: 'sink',
      referenceUri: 's3://orders-data-lake/orders/',
      referenceObjects: 2,
    },
    recentRuns: 0,
    partial: [],
    ...patch,
  };
}

export const drift = {
  newFields: [{ field: 'cust_id', failingSharePercent: 97.5 }],
  missingFields: [{ field: 'customer_id', failingSharePercent: 0 }],
  renames: [{ from: 'customer_id', to: 'cust_id' }],
};

export const change = (createdAtMs: number) => ({
  jobRunId: '00fnewrun0000001',
  createdAtMs,
  state: 'RUNNING',
  previousJobRunId: '00foldrun0000001',
  previousCreatedAtMs: createdAtMs - 86_400_000,
  differences: [{ field: 'entryPoint', before: 's3://orders-data-lake/jobs/orders_stream_v41.py', after: 's3://orders-data-lake/jobs/orders_stream_v42.py' }],
});
