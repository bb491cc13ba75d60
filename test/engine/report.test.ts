import { describe, expect, it } from 'vitest';
import { formatDuration, incidentReport } from '../../lambdas/engine/report';
import type { IncidentRecord, TimelineEntry } from '../../lambdas/ledger/types';

const T0 = Date.parse('2026-01-01T00:01:00Z');
const ID = 'orders.job-failed.20260101T000101.5cd625';

const incident = (over: Partial<IncidentRecord> = {}): IncidentRecord => ({
  incidentId: ID,
  pipeline: 'orders',
  playbook: 'job-failed',
  status: 'resolved',
  openedAtMs: T0 + 1_000,
  updatedAtMs: T0 + 240_000,
  closedAtMs: T0 + 240_000,
  recoveredAtMs: T0 + 240_000,
  trigger: {
    kind: 'job-run',
    eventId: 'e',
    dedupeKey: 'd',
    applicationId: 'app',
    jobRunId: 'run-1',
    jobRunName: 'orders-stream',
    state: 'FAILED',
    stateDetails: 'ExitCode: 137',
    atMs: T0,
  },
  decision: { kind: 'fix', reason: 'JOB_FAILED_RESTARTABLE', summary: 'restart orders-stream from its checkpoint', evidence: {}, actions: [] },
  evidence: { failedRunId: 'run-1', checkpointAgeSeconds: 45 },
  verifyAttempts: 1,
  recheckCount: 0,
  version: 7,
  actions: [
    {
      incidentId: ID,
      index: 0,
      actionId: `${ID}#0`,
      status: 'done',
      startedAtMs: T0 + 120_000,
      endedAtMs: T0 + 121_000,
      action: { type: 'emr-serverless:StartJobRun', resource: 'emr-serverless:app:orders-stream', description: 'StartJobRun orders-stream', params: {} },
      outcome: { summary: 'started run-2', before: { activeRuns: 0 }, after: { jobRunId: 'run-2' } },
    },
  ],
  approvals: [
    {
      id: 'a1',
      status: 'approved',
      requestedAtMs: T0 + 1_000,
      expiresAtMs: T0 + 1_801_000,
      reason: 'JOB_FAILED_RESTARTABLE',
      summary: 's',
      actions: [],
      answeredBy: 'arn:aws:iam::123456789012:user/jane',
      answeredAtMs: T0 + 119_000,
    },
  ],
  ...over,
});
const timeline: TimelineEntry[] = [
  {
    incidentId: ID,
    atMs: T0 + 1_000,
    seq: '1',
    kind: 'decision',
    summary: 'escalate APPROVAL_REQUIRED: approval needed',
    data: { reason: 'APPROVAL_REQUIRED' },
  },
  { incidentId: ID, atMs: T0 + 1_000, seq: '2', kind: 'escalation', summary: 'pagerduty warning: sent' },
  { incidentId: ID, atMs: T0 + 119_000, seq: '3', kind: 'decision', summary: 'fix JOB_FAILED_RESTARTABLE', data: { reason: 'JOB_FAILED_RESTARTABLE' } },
  { incidentId: ID, atMs: T0 + 119_500, seq: '4', kind: 'diagnosis', summary: 'diagnosis complete' },
];

describe('Function: incidentReport', () => {
  it('holds the runbook post-incident record: date, pipeline, what happened, root cause, actions, times, data loss, follow-ups', () => {
    const md = incidentReport({ incident: incident(), timeline, runbookUrl: 'https://wiki.example.com/runbooks/job-failed' });
    for (const heading of [
      '# Incident',
      '## What happened',
      '## Root cause, as diagnosed',
      '## Actions',
      '## Approvals',
      '## Escalations',
      '## Time to detect and to fix',
      '## Data loss',
      '## Follow-ups',
    ]) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| date | 2026-01-01T00:01:01Z |');
    expect(md).toContain('| pipeline | orders |');
    expect(md).toContain('job run run-1 (orders-stream) of application app went to FAILED at 2026-01-01T00:01:00Z: ExitCode: 137');
    expect(md).toContain('fix **JOB_FAILED_RESTARTABLE**: restart orders-stream from its checkpoint');
    expect(md).toContain('Decisions in order: APPROVAL_REQUIRED → JOB_FAILED_RESTARTABLE');
    expect(md).toContain('| checkpointAgeSeconds | 45 |');
    expect(md).toContain('| 1 | StartJobRun orders-stream | done | 2026-01-01T00:03:00Z | 2026-01-01T00:03:01Z | {"activeRuns":0} | {"jobRunId":"run-2"} |');
    expect(md).toContain('| a1 |');
    expect(md).toContain('- to detect: 1 s');
    expect(md).toContain('- to first action: 1 min 59 s');
    expect(md).toContain('- to fix: 3 min 59 s');
    expect(md).toContain('The diagnosis recorded no evidence of lost data');
    expect(md).toContain('https://wiki.example.com/runbooks/job-failed');
    expect(md).not.toContain('diagnosis complete');
  });

  it('lists what the diagnosis said about lost data, and what a person still has to do', () => {
    const md = incidentReport({
      incident: incident({
        status: 'escalated',
        recoveredAtMs: undefined,
        closedAtMs: undefined,
        evidence: { lostRecords: 1200, hoursLeftBeforeDrop: 3 },
        actions: [],
        decision: {
          kind: 'escalate',
          reason: 'S3_ACCESS_DENIED',
          summary: 'denied',
          evidence: {},
          severity: 'critical',
          recommendation: { summary: 'grant it', command: 'aws iam put-role-policy …' },
        },
      }),
      timeline: [],
    });
    expect(md).toContain('- lostRecords: 1200');
    expect(md).toContain('- hoursLeftBeforeDrop: 3');
    expect(md).toContain('Apply or reject the recommended fix: `aws iam put-role-policy …`');
    expect(md).toContain('- to fix: not recovered while streamfix watched');
    expect(md).toContain('No action was taken.');
    expect(md).toContain('Nobody was paged.');
  });

  it('formats durations', () => {
    expect([formatDuration(12_000), formatDuration(245_000), formatDuration(3_720_000)]).toEqual(['12 s', '4 min 05 s', '1 h 02 min']);
  });
});
