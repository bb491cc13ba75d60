import type { Evidence } from '../../core/decision';
import type { DlqSpikeEvidence, JobRunChange } from './diagnose';
import type { DlqSpikeSettings } from './manifest';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The flat evidence of a decision: numbers with their unit in the name, lists as text. */
export function evidenceOf(e: DlqSpikeEvidence, settings: DlqSpikeSettings, suspect: JobRunChange | undefined): Evidence {
  const t = e.breakdown.byType;
  return {
    dlqRecordsPerMinute: e.alarm.recordsPerMinute ?? null,
    thresholdRecordsPerMinute: settings.bounds.thresholdRecordsPerMinute,
    alarmAt: iso(e.alarm.stateAtMs),
    dlqUri: e.dlqUri,
    sampledRecords: e.breakdown.records,
    sampledObjects: e.sample.objectsRead,
    sampledBytes: e.sample.bytesRead,
    sampleTruncated: e.sample.truncated,
    badLines: e.sample.badLines,
    parseErrorRecords: t.parse_error,
    validationErrorRecords: t.validation_error,
    duplicateRecords: t.duplicate,
    timeoutRecords: t.timeout,
    externalApiErrorRecords: t.external_api_error,
    otherRecords: t.other,
    dominantErrorType: e.breakdown.dominant?.type ?? null,
    dominantSharePercent: e.breakdown.dominant ? Math.round(e.breakdown.dominant.share * 1000) / 10 : null,
    oldestFailureAt: iso(e.breakdown.oldestAtMs),
    newestFailureAt: iso(e.breakdown.newestAtMs),
    newFields: e.drift.newFields.map((f) => f.field).join(',') || null,
    missingFields: e.drift.missingFields.map((f) => f.field).join(',') || null,
    likelyRenames: e.drift.renames.map((r) => `${r.from}->${r.to}`).join(',') || null,
    referenceSource: e.drift.referenceSource,
    referenceRecords: e.drift.referenceRecords,
    recentJobRuns: e.recentRuns,
    changedJobRunId: e.change?.jobRunId ?? null,
    changedJobRunCreatedAt: iso(e.change?.createdAtMs),
    previousJobRunId: e.change?.previousJobRunId ?? null,
    changedRunSettings: e.change ? e.change.differences.map((d) => d.field).join(',') : null,
    changeIsSuspect: suspect !== undefined,
    notRead: e.partial.map((p) => p.part).join('; ') || null,
  };
}
