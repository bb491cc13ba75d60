import type { JobRunView } from '../../adapters/emr-serverless';
import { parseS3Uri } from '../../core/object-store';
import { detectDrift, FieldCounter, Masker, sampleDlq, sampleReference, type DlqBreakdown, type DlqSampleResult, type DriftReport } from '../../analysis/dlq';
import { jobLabel } from '../../config/job-kind';
import type { Trigger } from '../../core/trigger';
import type { PlaybookContext } from '../../core/playbook';
import { referenceLocation, type DlqSpikeSettings } from './manifest';

export interface RunDifference {
  field: string;
  before: string | null;
  after: string | null;
}

/** A run of the configured job, started in the change window, whose driver differs from the run before it. */
export interface JobRunChange {
  jobRunId: string;
  createdAtMs: number;
  state: string;
  previousJobRunId?: string;
  previousCreatedAtMs?: number;
  differences: RunDifference[];
}

export interface DlqSpikeEvidence {
  dlqUri: string;
  /** From the alarm: the largest recent datapoint, and when the alarm fired. */
  alarm: { recordsPerMinute?: number; stateAtMs?: number };
  sample: Omit<DlqSampleResult, 'breakdown'>;
  breakdown: Omit<DlqBreakdown, 'failingFields'>;
  drift: DriftReport & { referenceSource: 'configured' | 'sink' | 'none'; referenceUri?: string; referenceObjects: number };
  /** Runs of the job created within the change window. */
  recentRuns: number;
  change?: JobRunChange;
  /** Parts of the diagnosis that could not be read: the decision is made without them. */
  partial: { part: string; error: string }[];
}

/** Runs compared at most: the newest runs of the window, each with the one before it. */
const MAX_RUNS_COMPARED = 5;
const VALUE_CHARS = 300;

/** JSON with sorted keys: two equal configurations always print the same. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const clipValue = (s: string | null) => (s !== null && s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS - 1)}…` : s);

/** What changed between two runs of a job: driver, configuration, release and role. */
export function runDifferences(before: JobRunView, after: JobRunView): RunDifference[] {
  const fields: [string, (r: JobRunView) => unknown][] = [
    ['entryPoint', (r) => r.jobDriver.sparkSubmit?.entryPoint],
    ['entryPointArguments', (r) => r.jobDriver.sparkSubmit?.entryPointArguments],
    ['sparkSubmitParameters', (r) => r.jobDriver.sparkSubmit?.sparkSubmitParameters],
    ['configurationOverrides', (r) => r.configurationOverrides],
    ['releaseLabel', (r) => r.releaseLabel],
    ['executionRoleArn', (r) => r.executionRoleArn],
  ];
  const show = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'string' ? v : stableJson(v));
  return fields
    .map(([field, get]) => ({ field, before: show(get(before)), after: show(get(after)) }))
    .filter((d) => d.before !== d.after)
    .map((d) => ({ field: d.field, before: clipValue(d.before), after: clipValue(d.after) }));
}

/** The largest of the alarm's recent datapoints (reasonData is parsed defensively). */
export function alarmRate(trigger: Trigger): DlqSpikeEvidence['alarm'] {
  if (trigger.kind !== 'alarm') return {};
  const points = (trigger.reasonData as { recentDatapoints?: unknown } | undefined)?.recentDatapoints;
  const values = Array.isArray(points) ? points.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
  return { ...(values.length ? { recordsPerMinute: Math.max(...values) } : {}), stateAtMs: trigger.stateAtMs };
}

async function findChange(ctx: PlaybookContext<DlqSpikeSettings>): Promise<{ recentRuns: number; change?: JobRunChange }> {
  const job = ctx.pipeline.job;
  // A recent change is looked for among EMR Serverless runs; a Flink application's versions are not compared.
  if (job.kind !== 'emr-serverless') return { recentRuns: 0 };
  const since = ctx.clock.now() - ctx.settings.bounds.changeWindowMinutes * 60_000;
  const runs = (await ctx.aws.emr.listJobRuns(job.applicationId, { maxItems: 50 }))
    .filter((r) => r.name === job.jobName)
    .sort((a, b) => b.createdAtMs - a.createdAtMs);
  const recent = runs.filter((r) => r.createdAtMs >= since);
  const pairs = recent.slice(0, MAX_RUNS_COMPARED).map((r) => ({ run: r, previous: runs[runs.indexOf(r) + 1] }));
  const ids = [...new Set(pairs.flatMap((p) => [p.run.jobRunId, ...(p.previous ? [p.previous.jobRunId] : [])]))];
  const details = new Map((await Promise.all(ids.map((id) => ctx.aws.emr.getJobRun(job.applicationId, id)))).map((r) => [r.jobRunId, r]));
  for (const p of pairs) {
    const after = details.get(p.run.jobRunId)!;
    const before = p.previous ? details.get(p.previous.jobRunId) : undefined;
    // A first run of the job is a change of everything; a run equal to the one before is a restart.
    const differences = before ? runDifferences(before, after) : [{ field: 'firstRun', before: null, after: after.jobRunId }];
    if (differences.length === 0) continue;
    return {
      recentRuns: recent.length,
      change: {
        jobRunId: after.jobRunId,
        createdAtMs: after.createdAtMs,
        state: after.state,
        ...(before ? { previousJobRunId: before.jobRunId, previousCreatedAtMs: before.createdAtMs } : {}),
        differences,
      },
    };
  }
  return { recentRuns: recent.length };
}

const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * Read-only, in parallel: the newest DLQ objects (streamed, bounded), the newest good records
 * (reference for drift), and the job's recent runs. Only the DLQ read is essential: when the
 * reference or the runs cannot be read the decision is made without them, and says so.
 */
export async function diagnoseDlqSpike(ctx: PlaybookContext<DlqSpikeSettings>, trigger: Trigger): Promise<DlqSpikeEvidence> {
  const b = ctx.settings.bounds;
  const now = ctx.clock.now();
  const dlqUri = ctx.pipeline.dlq!.s3;
  const ref = referenceLocation(ctx.pipeline, ctx.settings);
  const limits = { maxObjects: b.maxObjects, maxRecords: b.maxRecords, maxBytes: b.maxBytesMiB * 1024 * 1024, lookbackHours: b.lookbackHours };
  const partial: DlqSpikeEvidence['partial'] = [];
  const [sample, reference, runs] = await Promise.all([
    sampleDlq(ctx.aws.s3, parseS3Uri(dlqUri), now, limits, {
      samplesPerType: b.samplesPerType,
      sampleChars: b.sampleChars,
      masker: new Masker(ctx.pipeline.masking),
      signal: ctx.signal,
    }),
    ref
      ? sampleReference(ctx.aws.s3, parseS3Uri(ref.uri), now, { ...limits, maxObjects: Math.min(5, b.maxObjects), maxRecords: b.referenceMaxRecords }).catch(
          (e: unknown) => {
            partial.push({ part: `reference ${ref.uri}`, error: message(e) });
            return undefined;
          },
        )
      : Promise.resolve(undefined),
    findChange(ctx).catch((e: unknown): { recentRuns: number; change?: JobRunChange } => {
      partial.push({ part: `job runs of ${jobLabel(ctx.pipeline)}`, error: message(e) });
      return { recentRuns: 0 };
    }),
  ]);
  const { breakdown: full, ...sampleStats } = sample;
  const { failingFields, ...breakdown } = full;
  const drift = detectDrift(failingFields, reference?.fields ?? new FieldCounter(), { minShare: b.driftMinShare });
  return {
    dlqUri,
    alarm: alarmRate(trigger),
    sample: sampleStats,
    breakdown,
    drift: {
      ...drift,
      referenceSource: reference && ref ? ref.source : 'none',
      ...(ref ? { referenceUri: ref.uri } : {}),
      referenceObjects: reference?.objectsRead ?? 0,
    },
    recentRuns: runs.recentRuns,
    ...(runs.change ? { change: runs.change } : {}),
    partial,
  };
}
