import { shareOf, severityFromRate, type ErrorType } from '../../analysis/dlq';
import { escalate, type Decision, type Evidence, type Recommendation } from '../../core/decision';
import type { PlanInput } from '../../core/playbook';
import type { DlqSpikeEvidence, JobRunChange } from './diagnose';
import type { DlqSpikeSettings } from './manifest';
import { evidenceOf } from './evidence';

export const DlqSpikeReason = {
  SAMPLE_EMPTY: 'DLQ_SAMPLE_EMPTY',
  ENRICHMENT_FAILING: 'DLQ_ENRICHMENT_FAILING',
  SCHEMA_CHANGE_AFTER_DEPLOYMENT: 'DLQ_SCHEMA_CHANGE_AFTER_DEPLOYMENT',
  AFTER_DEPLOYMENT: 'DLQ_AFTER_DEPLOYMENT',
  SCHEMA_DRIFT: 'DLQ_SCHEMA_DRIFT',
  DUPLICATES: 'DLQ_DUPLICATES',
  BAD_DATA: 'DLQ_BAD_DATA',
  MIXED: 'DLQ_MIXED_ERRORS',
} as const;

const ENRICHMENT: readonly ErrorType[] = ['timeout', 'external_api_error'];
const DATA: readonly ErrorType[] = ['parse_error', 'validation_error'];
const ERROR_ORDER: readonly ErrorType[] = ['parse_error', 'validation_error', 'timeout', 'external_api_error', 'other', 'duplicate'];
const MINUTE_MS = 60_000;

/**
 * Whether a changed run is a suspect: the failing records name it as their writer (envelopes
 * with `job_run_id`), or, without that, it started before the alarm fired.
 */
export function changeIsSuspect(e: DlqSpikeEvidence, nowMs: number): boolean {
  const c = e.change;
  if (!c) return false;
  const written = Object.values(e.breakdown.byJobRun).reduce((n, x) => n + x, 0);
  if (written > 0) return (e.breakdown.byJobRun[c.jobRunId] ?? 0) / written >= 0.5;
  return c.createdAtMs <= (e.alarm.stateAtMs ?? nowMs);
}

/** Where the replay starts: before the first failure we know of, on a whole minute. */
export function replayFrom(e: DlqSpikeEvidence, settings: DlqSpikeSettings, nowMs: number, suspect?: JobRunChange): number {
  const candidates = [
    (e.alarm.stateAtMs ?? nowMs) - settings.bounds.quietMinutesToRecover * MINUTE_MS,
    ...(e.breakdown.oldestAtMs !== undefined ? [e.breakdown.oldestAtMs] : []),
    ...(suspect ? [suspect.createdAtMs] : []),
  ];
  return Math.floor((Math.min(...candidates) - MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
}

/** The exact `streamfix replay` command: from the first failure, the chosen types, to the source topic. */
export function replayCommand(pipelineName: string, input: { fromMs: number; types: ErrorType[]; target: 'kafka' | 'firehose'; execute: boolean }): string {
  return [
    'streamfix replay',
    `--pipeline ${pipelineName}`,
    '--source dlq',
    `--from ${new Date(input.fromMs).toISOString()}`,
    `--error-types ${input.types.join(',')}`,
    `--target ${input.target}`,
    ...(input.execute ? ['--execute'] : []),
  ].join(' ');
}

const typesPresent = (e: DlqSpikeEvidence, among: readonly ErrorType[]): ErrorType[] => among.filter((t) => e.breakdown.byType[t] > 0);
const pct = (x: number) => `${Math.round(x * 100)}%`;
const fieldList = (xs: { field: string }[]) => xs.map((x) => `\`${x.field}\``).join(', ');

function driftSentence(e: DlqSpikeEvidence): string {
  const d = e.drift;
  const parts: string[] = [];
  if (d.newFields.length) parts.push(`new field(s) ${d.newFields.map((f) => `\`${f.field}\` (${f.failingSharePercent}% of failing payloads)`).join(', ')}`);
  if (d.missingFields.length) parts.push(`missing ${fieldList(d.missingFields)}`);
  if (d.renames.length) parts.push(`likely rename ${d.renames.map((r) => `\`${r.from}\` → \`${r.to}\``).join(', ')}`);
  return `${parts.join('; ')}, compared with ${d.referenceRecords} good records (${d.referenceSource})`;
}

function changeSentence(c: JobRunChange): string {
  const what = c.differences
    .map((d) => (d.field === 'firstRun' ? 'first run of the job' : `${d.field} ${d.before ?? '(none)'} → ${d.after ?? '(none)'}`))
    .join('; ');
  return `job run ${c.jobRunId} started ${new Date(c.createdAtMs).toISOString()}${c.previousJobRunId ? ` (previous run ${c.previousJobRunId})` : ''}: ${what}`;
}

/**
 * Pure. Always escalates: bad data has no safe automatic fix. The judgment is the suspected
 * cause, in this order: nothing readable; the enrichment service (timeouts and API errors are
 * about the service, not the data); a schema change that came with a changed job run; a changed
 * job run; a schema change at the source; duplicates; bad data; a mix.
 */
export function planDlqSpike(input: PlanInput<DlqSpikeSettings, DlqSpikeEvidence>): Decision {
  const { evidence: e, settings, pipeline, pipelineName, nowMs } = input;
  const b = settings.bounds;
  const severity = severityFromRate(e.alarm.recordsPerMinute, b.thresholdRecordsPerMinute, b.criticalRecordsPerMinute);
  const suspect = changeIsSuspect(e, nowMs) ? e.change : undefined;
  const target: 'kafka' | 'firehose' = pipeline.source.kind === 'msk' || !pipeline.sink ? 'kafka' : 'firehose';
  const fromMs = replayFrom(e, settings, nowMs, suspect);
  const rate = e.alarm.recordsPerMinute !== undefined ? `${e.alarm.recordsPerMinute} records/min` : 'a spike';
  const n = e.breakdown.records;
  const ev: Evidence = evidenceOf(e, settings, suspect);
  const detail = (types: ErrorType[]): Record<string, unknown> => ({
    breakdown: e.breakdown.byType,
    topMessages: e.breakdown.topMessages,
    samples: e.breakdown.samples,
    drift: { newFields: e.drift.newFields, missingFields: e.drift.missingFields, renames: e.drift.renames, reference: e.drift.referenceUri ?? null },
    ...(e.change ? { change: e.change, changeIsSuspect: suspect !== undefined } : {}),
    ...(e.partial.length ? { notRead: e.partial } : {}),
    ...(types.length ? { dryRunFirst: replayCommand(pipelineName, { fromMs, types, target, execute: false }) } : {}),
  });
  const rec = (summary: string, types: ErrorType[]): Recommendation => ({
    summary,
    ...(types.length ? { command: replayCommand(pipelineName, { fromMs, types, target, execute: true }) } : {}),
    detail: detail(types),
  });
  const go = (reason: string, summary: string, recommendation: Recommendation) => escalate(reason, summary, ev, severity, recommendation);

  if (n === 0) {
    return go(
      DlqSpikeReason.SAMPLE_EMPTY,
      `${rate} into the DLQ, but no readable DLQ record under ${e.dlqUri} in the last ${b.lookbackHours} h (${e.sample.objectsRead} object(s), ${e.sample.badLines} bad line(s))`,
      {
        summary:
          "the DLQ writer may still be buffering, write elsewhere, or write lines that are not the envelope (docs/dlq-format.md): records counted but not stored are lost; check the job's DLQ sink",
        command: `aws s3 ls ${e.dlqUri} --recursive`,
        detail: detail([]),
      },
    );
  }
  const enrichment = shareOf(e.breakdown, ENRICHMENT);
  if (enrichment >= b.dominantShare) {
    const types = typesPresent(e, ENRICHMENT);
    return go(
      DlqSpikeReason.ENRICHMENT_FAILING,
      `${rate} into the DLQ: ${pct(enrichment)} of ${n} sampled records are ${types.join('/')}: this points at the enrichment service, not at the data`,
      rec(
        "check the enrichment service (health, latency, error rate, credentials, quotas) and the job's timeout to it; the records themselves are fine: once the service answers again, replay them",
        types,
      ),
    );
  }
  const hasDrift = e.drift.newFields.length > 0 || e.drift.missingFields.length > 0;
  const dataTypes = typesPresent(e, DATA);
  const replayTypes = ERROR_ORDER.filter((t) => t !== 'duplicate' && e.breakdown.byType[t] > 0);
  if (suspect && hasDrift) {
    return go(
      DlqSpikeReason.SCHEMA_CHANGE_AFTER_DEPLOYMENT,
      `${rate} into the DLQ since ${changeSentence(suspect)}; failing payloads show ${driftSentence(e)}`,
      rec(
        `the schema changed with job run ${suspect.jobRunId}: make the parser accept the new shape (or roll the job back to the driver of ${suspect.previousJobRunId ?? 'the previous run'}; never two runs on one checkpoint: cancel, wait for CANCELLED, then start), then replay`,
        replayTypes,
      ),
    );
  }
  if (suspect) {
    return go(
      DlqSpikeReason.AFTER_DEPLOYMENT,
      `${rate} into the DLQ since ${changeSentence(suspect)}; ${pct(e.breakdown.dominant!.share)} of ${n} sampled records are ${e.breakdown.dominant!.type}`,
      rec(
        `the spike follows a change of the job: roll back to the driver of ${suspect.previousJobRunId ?? 'the previous run'} (cancel, wait for CANCELLED, then start; never two runs on one checkpoint) or fix forward, then replay`,
        replayTypes,
      ),
    );
  }
  if (hasDrift) {
    return go(
      DlqSpikeReason.SCHEMA_DRIFT,
      `${rate} into the DLQ; failing payloads show ${driftSentence(e)}; no job change in the last ${b.changeWindowMinutes} min: the source changed its schema`,
      rec('the producers changed the record shape: update the parser/validation to accept it (e.g. both field names), deploy, then replay', replayTypes),
    );
  }
  const duplicates = shareOf(e.breakdown, ['duplicate']);
  if (duplicates >= b.dominantShare) {
    return go(DlqSpikeReason.DUPLICATES, `${rate} into the DLQ: ${pct(duplicates)} of ${n} sampled records are duplicates`, {
      summary:
        'records the job has already seen: look for a producer retrying or re-sending, an offset reset upstream, or a dedup window too short; do not replay duplicates (the dry run below only counts them)',
      command: replayCommand(pipelineName, { fromMs, types: ['duplicate'], target, execute: false }),
      detail: detail([]),
    });
  }
  const data = shareOf(e.breakdown, DATA);
  if (data >= b.dominantShare) {
    return go(
      DlqSpikeReason.BAD_DATA,
      `${rate} into the DLQ: ${pct(data)} of ${n} sampled records are ${dataTypes.join('/')}, with no schema drift and no job change: new or broken traffic`,
      rec(
        'find which producer sends these records (see the samples and messages), fix it or add validation; replay only what the fixed pipeline can accept',
        replayTypes,
      ),
    );
  }
  return go(
    DlqSpikeReason.MIXED,
    `${rate} into the DLQ: no single cause dominates ${n} sampled records (${ERROR_ORDER.filter((t) => e.breakdown.byType[t] > 0)
      .map((t) => `${t} ${e.breakdown.byType[t]}`)
      .join(', ')})`,
    rec('look at the samples and messages per type; fix each cause, then replay', replayTypes),
  );
}
