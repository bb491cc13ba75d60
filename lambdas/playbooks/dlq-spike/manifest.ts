import * as z from 'zod';
import { isEmrPipeline } from '../../config/job-kind';
import type { PipelineConfig } from '../../config/schema';
import { playbookSettings } from '../common-settings';
import { listBucketUnder } from '../../core/permissions';
import type { PlaybookManifest, PipelineContext, PermissionSpec } from '../../core/playbook';
import { appArn } from '../../util/arn';
import { s3LocationOf } from '../../util/s3-uri';

/**
 * dlq-spike: records pour into the pipeline's dead-letter store. Classify what is failing and
 * why now, and hand a person the breakdown, samples, suspected cause and the replay command.
 * There is no safe automatic fix for bad data: this playbook always escalates.
 * Seeds: 004 "DLQ Spike", 000 "Replay from Offset".
 */

/** The config's S3 URI rule, restated: importing config/schema here would be an import cycle. */
const s3Uri = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(.+\/)?$/, 'must be s3://bucket/prefix/ ending with a slash');

export const DEFAULT_DLQ_NAMESPACE = 'ecommerce-streaming';
export const DEFAULT_DLQ_METRIC = 'DLQRecordCount';

export interface DlqMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

export const dlqSpikeBounds = z
  .object({
    /**
     * The pipeline's DLQ record-count metric (records written to the DLQ), summed per minute.
     * Absent: `ecommerce-streaming` / `DLQRecordCount` with the dimension `Pipeline` = the
     * pipeline's name (docs/playbooks/dlq-spike.md says how to publish it). Each pipeline's DLQ
     * alarm needs a metric of its own: synth refuses two pipelines on one (sharedDlqMetrics).
     */
    metric: z
      .object({
        namespace: z.string().min(1).default(DEFAULT_DLQ_NAMESPACE),
        metricName: z.string().min(1).default(DEFAULT_DLQ_METRIC),
        dimensions: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .optional(),
    /** The alarm fires when a minute holds more DLQ records than this. */
    thresholdRecordsPerMinute: z.number().positive().default(100),
    /** At or above this rate the escalation is critical. */
    criticalRecordsPerMinute: z.number().positive().default(1_000),
    /** The alarm returns to OK only after this many minutes in a row at or under the threshold. */
    quietMinutesToRecover: z.number().int().min(1).max(60).default(5),
    /** Bounded sample of the newest DLQ objects. */
    maxObjects: z.number().int().min(1).max(200).default(20),
    maxRecords: z.number().int().min(1).max(100_000).default(2_000),
    maxBytesMiB: z.number().positive().max(512).default(64),
    /** Hours walked back (hourly layout) looking for the newest objects. */
    lookbackHours: z.number().int().min(0).max(72).default(6),
    samplesPerType: z.number().int().min(0).max(10).default(2),
    sampleChars: z.number().int().min(40).max(2_000).default(200),
    /** A job run of the configured job started this recently, with a changed driver, is a suspect. */
    changeWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    /** A type (or the enrichment pair timeout + external_api_error) with this share dominates. */
    dominantShare: z.number().min(0.3).max(1).default(0.5),
    /** A new field must be in at least this share of the failing payloads. */
    driftMinShare: z.number().min(0.01).max(1).default(0.2),
    /** Good records to compare with; default: the sink's destination (`sink.s3`). */
    referenceS3: s3Uri.optional(),
    referenceMaxRecords: z.number().int().min(1).max(10_000).default(500),
  })
  .strict()
  .refine((b) => b.criticalRecordsPerMinute >= b.thresholdRecordsPerMinute, {
    message: 'criticalRecordsPerMinute must be at least thresholdRecordsPerMinute',
    path: ['criticalRecordsPerMinute'],
  });

export const dlqSpikeSettings = playbookSettings(dlqSpikeBounds, {
  mode: 'auto',
  cooldownSeconds: 0,
  maxActionsPerHour: 0,
  verifyAfterSeconds: 300,
  verifyDeadlineSeconds: 1_800,
  breakerWindowSeconds: 0,
  breakerMaxVerifyFailures: 1,
  breakerOpenSeconds: 3_600,
  maxRechecks: 0,
});

export type DlqSpikeSettings = z.output<typeof dlqSpikeSettings>;

const s3Location = s3LocationOf;

/** The good records the failing payloads are compared with (docs/dlq-format.md). */
export function referenceLocation(pipeline: PipelineConfig, settings: DlqSpikeSettings): { uri: string; source: 'configured' | 'sink' } | undefined {
  if (settings.bounds.referenceS3) return { uri: settings.bounds.referenceS3, source: 'configured' };
  if (pipeline.sink?.s3) return { uri: pipeline.sink.s3, source: 'sink' };
  return undefined;
}

function readS3(p: PipelineContext, uri: string, step: PermissionSpec['step'], why: string): PermissionSpec[] {
  const { bucket, prefix } = s3Location(uri);
  return [
    listBucketUnder(p.partition, bucket, [prefix], step, `list ${why} (listing limited to that prefix)`),
    ...(step === 'verify' ? [] : [{ step, actions: ['s3:GetObject'], resources: [`arn:${p.partition}:s3:::${bucket}/${prefix}*`], why: `read ${why}` }]),
  ];
}

/** The DLQ metric of a pipeline: the configured one, else the default with `Pipeline` = its name. */
export function dlqMetric(pipelineName: string, s: DlqSpikeSettings): DlqMetric {
  const m = s.bounds.metric;
  return m
    ? { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions } }
    : { namespace: DEFAULT_DLQ_NAMESPACE, metricName: DEFAULT_DLQ_METRIC, dimensions: { Pipeline: pipelineName } };
}

/**
 * DLQ metrics two or more pipelines would share (their DLQ alarms would fire for each other's
 * records). Only pipelines with a DLQ whose dlq-spike playbook is not off count.
 */
export function sharedDlqMetrics(config: { pipelines: Record<string, PipelineConfig> }): { metric: DlqMetric; pipelines: string[] }[] {
  const by = new Map<string, { metric: DlqMetric; pipelines: string[] }>();
  for (const [name, p] of Object.entries(config.pipelines)) {
    const s = (p.playbooks as Record<string, unknown>)['dlq-spike'] as DlqSpikeSettings | undefined;
    if (!p.dlq || !s || s.mode === 'off') continue;
    const metric = dlqMetric(name, s);
    const key = JSON.stringify([metric.namespace, metric.metricName, Object.entries(metric.dimensions).sort()]);
    const entry = by.get(key) ?? { metric, pipelines: [] };
    entry.pipelines.push(name);
    by.set(key, entry);
  }
  return [...by.values()].filter((e) => e.pipelines.length > 1);
}

/** The message synth fails with when pipelines share a DLQ metric; undefined when none do. */
export function sharedDlqMetricError(config: { pipelines: Record<string, PipelineConfig> }): string | undefined {
  const shared = sharedDlqMetrics(config);
  if (shared.length === 0) return undefined;
  return shared
    .map(({ metric, pipelines }) => {
      const dims =
        Object.entries(metric.dimensions)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'no dimensions';
      return `pipelines ${pipelines.join(', ')} share the DLQ metric ${metric.namespace}/${metric.metricName} (${dims}): set pipelines.<name>.playbooks.dlq-spike.bounds.metric so each pipeline's DLQ alarm counts its own records`;
    })
    .join('; ');
}

export const dlqSpikeManifest: PlaybookManifest<DlqSpikeSettings> = {
  id: 'dlq-spike',
  title: 'DLQ spike → classify, find what changed, escalate with the replay command',
  summary:
    'Reads the newest dead-letter records (bounded, streamed), counts them by error type, keeps masked samples, ' +
    'detects schema drift against good records and correlates with a recent change of the streaming job; ' +
    'always escalates with the suspected cause and the exact replay command to run once it is fixed.',
  settings: dlqSpikeSettings,
  appliesTo: (pipeline) => pipeline.dlq !== undefined,
  alarms: (p) => {
    const b = p.settings.bounds;
    return [
      {
        signal: 'records',
        description:
          `More than ${b.thresholdRecordsPerMinute} records/min into the DLQ of ${p.name}; ` +
          `OK again after ${b.quietMinutesToRecover} quiet minutes in a row`,
        metric: { ...dlqMetric(p.name, p.settings), statistic: 'Sum', periodSeconds: 60 },
        comparison: 'GreaterThanThreshold',
        threshold: b.thresholdRecordsPerMinute,
        // Any breaching minute of the last M alarms; OK needs all M quiet: OK means recovered.
        evaluationPeriods: b.quietMinutesToRecover,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
        okMeansRecovered: true,
      },
    ];
  },
  eventRules: () => [],
  permissions: (p) => {
    const dlq = p.pipeline.dlq!.s3;
    const ref = referenceLocation(p.pipeline, p.settings);
    return [
      ...readS3(p, dlq, 'diagnose', 'the newest DLQ objects (streamed, bounded sample)'),
      ...(ref ? readS3(p, ref.uri, 'diagnose', `the newest good records (${ref.source} reference) for schema drift`) : []),
      ...(isEmrPipeline(p.pipeline)
        ? [
            {
              step: 'diagnose' as const,
              actions: ['emr-serverless:ListJobRuns', 'emr-serverless:GetJobRun'],
              resources: [appArn({ ...p, pipeline: p.pipeline }), `${appArn({ ...p, pipeline: p.pipeline })}/jobruns/*`],
              why: 'find a recent run of the job whose driver or parameters changed',
            },
          ]
        : []),
      ...readS3(p, dlq, 'verify', 'the DLQ to see whether new objects are still being written'),
    ];
  },
};
