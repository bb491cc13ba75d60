import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import type { Decision } from '../../../lambdas/core/decision';
import { deniedAction, type FlinkCheckpointFailureEvidence } from '../../../lambdas/playbooks/checkpoint-failure/flink-diagnose';
import { FlinkCheckpointReason, planFlinkCheckpointFailure } from '../../../lambdas/playbooks/checkpoint-failure/flink-plan';
import type { CheckpointFailureSettings } from '../../../lambdas/playbooks/checkpoint-failure/manifest';
import { CheckpointReason } from '../../../lambdas/playbooks/checkpoint-failure/plan';
import { emrAndFlink } from '../../fixtures/cdk/emr-and-flink';
import { flinkPipeline } from '../../helpers/pipelines';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const MIN = 60_000;
const config = parseConfig(emrAndFlink);
const pipeline = flinkPipeline(config.pipelines.clicks);
const settings = pipeline.playbooks['checkpoint-failure'] as CheckpointFailureSettings;
const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const F = FlinkCheckpointReason;

const KMS_LINE = `Checkpoint 42 of job clicks failed.\norg.apache.flink.runtime.checkpoint.CheckpointException: Asynchronous task checkpoint failed.\nCaused by: software.amazon.awssdk.services.kms.model.KmsException: User: arn:aws:sts::111122223333:assumed-role/svc/clicks is not authorized to perform: kms:GenerateDataKey on resource: ${KEY} because no resource-based policy allows the kms:GenerateDataKey action (Service: Kms, Status Code: 400)`;

/** A RUNNING application whose checkpoints are healthy: 1.5 s, 50 MB, none failed. */
const evidence = (
  over: Partial<FlinkCheckpointFailureEvidence> = {},
  m: Partial<FlinkCheckpointFailureEvidence['metrics']> = {},
): FlinkCheckpointFailureEvidence => ({
  runtime: 'managed-flink',
  app: {
    status: 'RUNNING',
    versionId: 5,
    checkpointing: { configurationType: 'CUSTOM', enabled: true, intervalMs: 60_000, minPauseMs: 5_000 },
    snapshotsEnabled: true,
  },
  metrics: {
    windowMinutes: 15,
    failedCheckpoints: 0,
    lastDurationMs: 1_500,
    maxDurationMs: 1_600,
    durationSlopeMsPerMinute: 0,
    lastSizeBytes: 50_000_000,
    firstSizeBytes: 50_000_000,
    sizeSlopeBytesPerMinute: 0,
    ...m,
  },
  log: [],
  ...over,
});

const plan = (e: FlinkCheckpointFailureEvidence, s = settings): Decision =>
  planFlinkCheckpointFailure({
    pipelineName: 'clicks',
    pipeline,
    settings: s,
    evidence: e,
    nowMs: NOW,
    incidentId: 'i',
    trigger: { kind: 'sweep', dedupeKey: 'k' },
  });

describe('Function: planFlinkCheckpointFailure', () => {
  it('escalates a KMS denial with the missing action, the key and the key-policy statement, and changes nothing', () => {
    // Act
    const d = plan(
      evidence(
        { app: { ...evidence().app, encryption: { keyType: 'CUSTOMER_MANAGED_KEY', keyId: KEY } }, log: [{ atMs: NOW - MIN, level: 'ERROR', text: KMS_LINE }] },
        { failedCheckpoints: 1 },
      ),
    );
    // Assess
    expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.KMS_DENIED, severity: 'critical' });
    if (d.kind !== 'escalate') return;
    expect(d.summary).toContain('kms:GenerateDataKey is denied on');
    expect(d.recommendation.command).toBe(`aws kms get-key-policy --key-id ${KEY} --policy-name default --query Policy --output text`);
    expect(d.recommendation.detail).toEqual({
      missingAction: 'kms:GenerateDataKey',
      resource: KEY,
      keyPolicyStatement: {
        Sid: 'AllowManagedFlinkCheckpoints',
        Effect: 'Allow',
        Principal: { Service: ['kinesisanalytics.amazonaws.com', 'infrastructure.kinesisanalytics.amazonaws.com'] },
        Action: ['kms:GenerateDataKey'],
        Resource: '*',
      },
    });
  });

  it('needs failedCheckpointsToEscalate failures without a named cause, and one with a denial', () => {
    const timeoutLine = [{ atMs: NOW - MIN, level: 'ERROR', text: 'CheckpointException: Checkpoint expired before completing.' }];
    expect(plan(evidence({ log: timeoutLine }, { failedCheckpoints: settings.bounds.failedCheckpointsToEscalate - 1 }))).toMatchObject({
      kind: 'escalate',
      reason: CheckpointReason.TIMEOUT,
    });
    expect(plan(evidence({}, { failedCheckpoints: settings.bounds.failedCheckpointsToEscalate - 1 }))).toMatchObject({ kind: 'ignore', reason: F.HEALTHY });
    expect(plan(evidence({}, { failedCheckpoints: settings.bounds.failedCheckpointsToEscalate }))).toMatchObject({
      kind: 'escalate',
      reason: CheckpointReason.UNCLASSIFIED,
    });
  });

  it('recommends the exact update-application command for checkpoints that come close to the timeout', () => {
    const near = settings.bounds.nearTimeoutRatio * settings.bounds.checkpointTimeoutMs;
    const d = plan(evidence({}, { failedCheckpoints: 2, maxDurationMs: near, lastDurationMs: near }));
    expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.TIMEOUT });
    if (d.kind !== 'escalate') return;
    // interval: max(2 × 60 s, 2 × 480 s) = 960 s; pause: the slowest checkpoint, 480 s.
    expect(d.recommendation.command).toBe(
      'aws kinesisanalyticsv2 update-application --application-name clicks-enricher --current-application-version-id 5 --application-configuration-update ' +
        `'{"FlinkApplicationConfigurationUpdate":{"CheckpointConfigurationUpdate":{"ConfigurationTypeUpdate":"CUSTOM","CheckpointingEnabledUpdate":true,"CheckpointIntervalUpdate":960000,"MinPauseBetweenCheckpointsUpdate":480000}}}'`,
    );
    expect(plan(evidence({}, { failedCheckpoints: 2, maxDurationMs: near - 1, lastDurationMs: near - 1 }))).toMatchObject({
      reason: CheckpointReason.UNCLASSIFIED,
    });
  });

  it('tells a state too large (growing and near the timeout) from a timeout, and recommends incremental checkpoints', () => {
    const near = settings.bounds.nearTimeoutRatio * settings.bounds.checkpointTimeoutMs;
    const d = plan(
      evidence(
        {},
        { failedCheckpoints: 3, maxDurationMs: near, firstSizeBytes: 1_000_000_000, lastSizeBytes: 1_300_000_000, sizeSlopeBytesPerMinute: 20_000_000 },
      ),
    );
    expect(d).toMatchObject({ kind: 'escalate', reason: F.STATE_TOO_LARGE });
    if (d.kind === 'escalate') expect(d.recommendation.summary).toContain('state.backend.incremental');
    expect(
      plan(evidence({ log: [{ atMs: NOW, level: 'ERROR', text: 'java.lang.OutOfMemoryError: Java heap space' }] }, { failedCheckpoints: 2 })),
    ).toMatchObject({ reason: F.STATE_TOO_LARGE });
  });

  it('warns of slow checkpoints that have not failed yet', () => {
    expect(plan(evidence({}, { maxDurationMs: settings.bounds.slowCheckpointMs + 1 }))).toMatchObject({
      kind: 'escalate',
      reason: F.SLOW,
      severity: 'warning',
    });
    expect(plan(evidence({}, { maxDurationMs: settings.bounds.slowCheckpointMs }))).toMatchObject({ kind: 'ignore', reason: F.HEALTHY });
  });

  it('leaves an application that is not running to job-failed, and escalates checkpointing turned off', () => {
    expect(plan(evidence({ app: { ...evidence().app, status: 'READY' } }, { failedCheckpoints: 5 }))).toMatchObject({ kind: 'ignore', reason: F.NOT_RUNNING });
    expect(plan(evidence({ app: { ...evidence().app, checkpointing: { enabled: false } } }))).toMatchObject({ kind: 'escalate', reason: F.DISABLED });
  });
});

describe('Function: deniedAction', () => {
  it("reads the action and resource of AWS's access-denied message", () => {
    expect(deniedAction(KMS_LINE)).toEqual({ action: 'kms:GenerateDataKey', resource: KEY });
    expect(deniedAction('User: x is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" with an explicit deny')).toEqual({
      action: 's3:PutObject',
      resource: '"arn:aws:s3:::b/k"',
    });
    expect(deniedAction('User: x is not authorized to perform: kms:Decrypt')).toEqual({ action: 'kms:Decrypt' });
    expect(deniedAction('Access Denied')).toBeUndefined();
  });
});
