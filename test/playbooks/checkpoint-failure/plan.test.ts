import { emrPipeline } from '../../helpers/pipelines';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobRunView } from '../../../lambdas/adapters/emr-serverless';
import { backupTag, readSparkCheckpoint, type SparkCheckpointReport } from '../../../lambdas/analysis/checkpoint';
import { parseConfig } from '../../../lambdas/schema';
import type { Trigger } from '../../../lambdas/core/trigger';
import type { AccessDiagnosis } from '../../../lambdas/playbooks/checkpoint-failure/access';
import type { CheckpointFailureEvidence } from '../../../lambdas/playbooks/checkpoint-failure/diagnose';
import type { CheckpointFailureSettings } from '../../../lambdas/playbooks/checkpoint-failure/manifest';
import {
  BACKUP_CHECKPOINT,
  CheckpointReason,
  ENSURE_JOB_STOPPED,
  incidentStartMs,
  planCheckpointFailure,
  ROLLBACK_CHECKPOINT,
} from '../../../lambdas/playbooks/checkpoint-failure/plan';
import { START_JOB_RUN } from '../../../lambdas/runtimes/emr-serverless/restart';
import exampleConfig from '../../../streamfix.config';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { MemoryS3 } from '../../helpers/memory-s3';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const INCIDENT = 'orders.checkpoint-failure.20261122T095900.abc123';
const config = parseConfig(exampleConfig);
const pipeline = emrPipeline(config.pipelines.orders);
const settings = pipeline.playbooks['checkpoint-failure'] as CheckpointFailureSettings;
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const PREFIX_ARN = `arn:aws:s3:::${BUCKET}/${PREFIX}*`;
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098';
const EMPTY_OFFSETS = 'java.lang.IllegalStateException: Incomplete log file in s3://orders-data-lake/_checkpoints/streaming/orders/offsets/249';

/** The newest batch (249) was committed 60 s before NOW; batches run every 10 s. */
async function checkpoint(edit?: (s3: MemoryS3) => void): Promise<SparkCheckpointReport> {
  const s3 = new MemoryS3();
  const start = NOW - 60_000 - 249 * 10_000 - 2_000;
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 250, startMs: start, lastCommitted: false })) s3.seed(BUCKET, o.key, o.body, o.atMs);
  edit?.(s3);
  return readSparkCheckpoint(s3, pipeline.job.checkpoint);
}

const run = (over: Partial<JobRunView> = {}): JobRunView => ({
  applicationId: pipeline.job.applicationId,
  jobRunId: '00fr1a2b3c4d5e6f',
  name: 'orders-stream',
  state: 'FAILED',
  stateDetails: EMPTY_OFFSETS,
  mode: 'STREAMING',
  createdAtMs: NOW - 3_600_000,
  updatedAtMs: NOW - 60_000,
  executionRoleArn: pipeline.job.executionRoleArn,
  jobDriver: { sparkSubmit: { entryPoint: 's3://orders-data-lake/jobs/orders_stream.py' } },
  tags: { team: 'streaming' },
  ...over,
});

const access = (over: Partial<AccessDiagnosis> = {}): AccessDiagnosis => ({
  roleArn: pipeline.job.executionRoleArn,
  prefixArn: PREFIX_ARN,
  bucketArn: `arn:aws:s3:::${BUCKET}`,
  s3: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].map((action) => ({ action, resource: PREFIX_ARN, decision: 'allowed' as const })),
  kms: [],
  errors: [],
  ...over,
});

let corruptLast: SparkCheckpointReport;
let corruptCommit: SparkCheckpointReport;
let deep: SparkCheckpointReport;
let clean: SparkCheckpointReport;
beforeAll(async () => {
  corruptLast = await checkpoint((s3) => s3.seed(BUCKET, `${PREFIX}offsets/249`, '', NOW - 50_000));
  corruptCommit = await checkpoint((s3) => s3.seed(BUCKET, `${PREFIX}commits/249`, 'v7\n{}', NOW - 50_000));
  deep = await checkpoint((s3) => {
    s3.seed(BUCKET, `${PREFIX}offsets/249`, '', NOW - 50_000);
    s3.seed(BUCKET, `${PREFIX}offsets/248`, 'v1\n{', NOW - 50_000);
  });
  clean = await checkpoint();
});

const evidence = (over: Partial<CheckpointFailureEvidence> = {}): CheckpointFailureEvidence => ({
  run: run(),
  runSource: 'event',
  activeRuns: [],
  failureText: EMPTY_OFFSETS,
  failureTextSource: 'stateDetails',
  checkpoint: corruptLast,
  access: access(),
  jobActionsLastHour: 0,
  checkpointActionsLastHour: 0,
  ...over,
});

const jobRunTrigger: Trigger = {
  kind: 'job-run',
  eventId: 'e1',
  dedupeKey: 'k',
  applicationId: pipeline.job.applicationId,
  jobRunId: '00fr1a2b3c4d5e6f',
  state: 'FAILED',
  atMs: NOW,
};
const alarmTrigger: Trigger = {
  kind: 'alarm',
  eventId: 'e2',
  dedupeKey: 'k2',
  alarmName: 'streamfix-orders-checkpoint-failure-checkpoint-failures',
  state: 'ALARM',
  stateAtMs: NOW,
  reason: 'Threshold Crossed',
  composite: false,
  triggeringAlarms: [],
  metrics: [],
};

const plan = (e: CheckpointFailureEvidence, o: { nowMs?: number; trigger?: Trigger; s?: CheckpointFailureSettings } = {}) =>
  planCheckpointFailure({
    pipelineName: 'orders',
    pipeline,
    settings: o.s ?? settings,
    evidence: e,
    nowMs: o.nowMs ?? NOW,
    incidentId: INCIDENT,
    trigger: o.trigger ?? jobRunTrigger,
  });

describe('Function: planCheckpointFailure', () => {
  describe('a corrupt latest batch', () => {
    it('backs up, stops, rolls back to after the last good batch and restarts, in that order', () => {
      // Act
      const d = plan(evidence());
      // Assess
      expect(d).toMatchObject({ kind: 'fix', reason: CheckpointReason.LAST_BATCH_CORRUPT });
      if (d.kind !== 'fix') return;
      // A prefix of the incident's own: its start time and a tag of its id.
      const backup = `s3://${BUCKET}/_checkpoints/streaming/orders_backup_20261122T095900Z-${backupTag(INCIDENT)}/`;
      expect(d.actions.map((a) => a.type)).toEqual([BACKUP_CHECKPOINT, ENSURE_JOB_STOPPED, ROLLBACK_CHECKPOINT, START_JOB_RUN]);
      expect(d.actions.map((a) => a.resource)).toEqual([
        `s3:${pipeline.job.checkpoint}`,
        'emr-serverless:00fabcd1234efg5h:orders-stream',
        `s3:${pipeline.job.checkpoint}`,
        'emr-serverless:00fabcd1234efg5h:orders-stream',
      ]);
      expect(d.actions[0]!.params).toMatchObject({ checkpoint: pipeline.job.checkpoint, backup, by: INCIDENT });
      expect(d.actions[2]!.params).toEqual({ checkpoint: pipeline.job.checkpoint, backup, batchId: 248, rerun: false, expectLatestBatch: 249 });
      expect(d.actions[3]!.params).toMatchObject({
        name: 'orders-stream',
        mode: 'STREAMING',
        executionRoleArn: pipeline.job.executionRoleArn,
        tags: { team: 'streaming', 'streamfix:restart-of': '00fr1a2b3c4d5e6f' },
      });
      expect(d.evidence).toMatchObject({
        failureKind: 'corruption',
        corruption: 'latest-batch',
        latestPlannedBatch: 249,
        lastGoodBatch: 248,
        resumeBatch: 249,
        problems: 'offsets-empty@249',
        sourceRetainsDataAfterLastGood: true,
      });
    });

    it('re-runs batch N when only its commit is unreadable', () => {
      const d = plan(evidence({ checkpoint: corruptCommit, failureText: 'UnsupportedLogVersion: maximum supported log version is v2, but encountered v7' }));
      expect(d.kind === 'fix' && d.actions[2]!.params).toMatchObject({ batchId: 249, rerun: true, expectLatestBatch: 249 });
      expect(d.evidence.resumeBatch).toBe(249);
    });

    it('names the same backup on every plan of one incident', () => {
      const a = plan(evidence());
      const b = plan(evidence(), { nowMs: NOW + 600_000 });
      expect(a.kind === 'fix' && b.kind === 'fix' && a.actions[0]!.params.backup).toBe(b.kind === 'fix' && b.actions[0]!.params.backup);
      expect(incidentStartMs(INCIDENT, 0)).toBe(Date.parse('2026-11-22T09:59:00Z'));
      expect(incidentStartMs('no-timestamp', 42)).toBe(42);
    });

    it('fixes while the source still holds the data after the last good batch, and escalates one second later', () => {
      const committedAt = corruptLast.lastGoodBatchCommittedAtMs!;
      const retentionMs = pipeline.source.retentionHours * 3_600_000;
      expect(plan(evidence(), { nowMs: committedAt + retentionMs - 1_000 }).kind).toBe('fix');
      const d = plan(evidence(), { nowMs: committedAt + retentionMs });
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.BEYOND_RETENTION, severity: 'critical' });
    });

    it('fixes when the budget leaves room for two actions per resource, and escalates when it does not', () => {
      const max = settings.maxActionsPerHour;
      expect(plan(evidence({ jobActionsLastHour: max - 2, checkpointActionsLastHour: max - 2 })).kind).toBe('fix');
      expect(plan(evidence({ jobActionsLastHour: max - 1 })).reason).toBe(CheckpointReason.BUDGET_EXHAUSTED);
      expect(plan(evidence({ checkpointActionsLastHour: max - 1 })).reason).toBe(CheckpointReason.BUDGET_EXHAUSTED);
    });

    it('escalates when there is no streaming run of the job to restart from', () => {
      expect(plan(evidence({ run: undefined, runSource: 'none' }), { trigger: alarmTrigger }).reason).toBe(CheckpointReason.NO_RUN);
      expect(plan(evidence({ run: run({ mode: 'BATCH' }) })).reason).toBe(CheckpointReason.NO_RUN);
    });

    it('still plans the stop when a run is active, and says so', () => {
      const d = plan(evidence({ run: run({ state: 'RUNNING', stateDetails: undefined }), failureText: undefined, failureTextSource: 'none' }), {
        trigger: alarmTrigger,
      });
      expect(d.kind).toBe('fix');
      expect(d.summary).toContain('stop the job');
    });
  });

  describe('deeper corruption', () => {
    it('escalates with the reset options and what each loses or re-reads, changing nothing', () => {
      // Act
      const d = plan(evidence({ checkpoint: deep }));
      // Assess
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.CORRUPTION_DEEP, severity: 'critical' });
      if (d.kind !== 'escalate') return;
      const options = d.recommendation.detail!.options as { option: string; loses: string; reReads: string; command: string }[];
      expect(options.map((o) => o.command)).toEqual([
        'streamfix checkpoint --pipeline orders rollback --to-batch 247 --keep-commit --confirm',
        'streamfix checkpoint --pipeline orders reset --to last-good --confirm',
        'streamfix checkpoint --pipeline orders reset --to latest --confirm',
        'streamfix checkpoint --pipeline orders reset --to timestamp --timestamp <ISO-8601> --confirm',
        'streamfix checkpoint --pipeline orders reset --to earliest --confirm',
      ]);
      for (const o of options) expect(o.loses.length * o.reReads.length).toBeGreaterThan(0);
      expect(options[2]!.loses).toContain('every record published');
      expect(options[4]!.reReads).toContain('168 h');
    });

    it('escalates a missing checkpoint, an unreadable one, and a failure the checkpoint does not show', async () => {
      expect(plan(evidence({ checkpoint: await readSparkCheckpoint(new MemoryS3(), pipeline.job.checkpoint) })).reason).toBe(CheckpointReason.MISSING);
      const { checkpoint: _omit, ...rest } = evidence();
      expect(plan({ ...rest, checkpointError: 's3.ListObjectsV2 failed: AccessDenied' }).reason).toBe(CheckpointReason.UNASSESSABLE);
      expect(plan(evidence({ checkpoint: { ...clean, listingComplete: false } })).reason).toBe(CheckpointReason.UNASSESSABLE);
      expect(plan(evidence({ checkpoint: clean }))).toMatchObject({ kind: 'escalate', reason: CheckpointReason.CORRUPTION_NOT_FOUND });
    });

    it('does not take warnings alone for the cause of a failure', async () => {
      const gap = await checkpoint((s3) => s3.objects.delete(`${BUCKET}/${PREFIX}offsets/200`));
      expect(gap.problems.every((p) => p.severity === 'warning')).toBe(true);
      const quiet = { checkpoint: gap, failureText: undefined, failureTextSource: 'none' as const, run: run({ state: 'RUNNING' }) };
      expect(plan(evidence(quiet), { trigger: alarmTrigger }).reason).toBe(CheckpointReason.UNCLASSIFIED);
      expect(plan(evidence({ checkpoint: gap })).reason).toBe(CheckpointReason.CORRUPTION_DEEP);
    });

    it('escalates a state store that cannot be loaded', () => {
      const d = plan(
        evidence({
          checkpoint: clean,
          failureText:
            '[CANNOT_LOAD_STATE_STORE.UNCATEGORIZED] An error occurred during loading state. s3://orders-data-lake/_checkpoints/streaming/orders/state/0/3',
        }),
      );
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.STATE_STORE_CORRUPT });
    });
  });

  describe('access', () => {
    const denied = access({
      s3: [
        { action: 's3:GetObject', resource: PREFIX_ARN, decision: 'allowed' },
        { action: 's3:PutObject', resource: PREFIX_ARN, decision: 'implicitDeny' },
      ],
    });
    const text =
      'java.nio.file.AccessDeniedException: s3://orders-data-lake/_checkpoints/streaming/orders/offsets/.250.tmp: PutObject: Access Denied (Service: Amazon S3; Status Code: 403)';

    it('names the missing s3:PutObject on the prefix with a minimal statement, never applied', () => {
      // Act
      const d = plan(evidence({ checkpoint: clean, access: denied, failureText: text }));
      // Assess
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.ACCESS_DENIED, severity: 'critical' });
      expect(d.summary).toBe(`the job role lacks s3:PutObject on ${PREFIX_ARN} (implicitDeny)`);
      if (d.kind !== 'escalate') return;
      expect(d.recommendation.detail!.policy).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: PREFIX_ARN }],
      });
      expect(d.recommendation.command).toContain('aws iam put-role-policy --role-name EmrServerlessJobExecutionRole');
    });

    it('finds the denial by simulation when an alarm brings no failure text', () => {
      const d = plan(evidence({ checkpoint: clean, access: denied, failureText: undefined, failureTextSource: 'none', run: run({ state: 'RUNNING' }) }), {
        trigger: alarmTrigger,
      });
      expect(d.reason).toBe(CheckpointReason.ACCESS_DENIED);
    });

    it('takes a denial that does not name the checkpoint only when the simulation finds it on the checkpoint', () => {
      const bare = 'com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403)';
      expect(plan(evidence({ checkpoint: clean, access: denied, failureText: bare })).reason).toBe(CheckpointReason.ACCESS_DENIED);
      expect(plan(evidence({ checkpoint: clean, failureText: bare })).reason).toBe(CheckpointReason.NOT_A_CHECKPOINT_FAILURE);
    });

    it("points at the bucket policy when the role's policies allow everything", () => {
      const d = plan(evidence({ checkpoint: clean, failureText: text }));
      expect(d).toMatchObject({
        kind: 'escalate',
        reason: CheckpointReason.ACCESS_DENIED,
        recommendation: { command: `aws s3api get-bucket-policy --bucket ${BUCKET}` },
      });
    });

    it('names the KMS key and the missing kms actions', () => {
      const kms = access({
        encryption: { sseAlgorithm: 'aws:kms', kmsKeyId: KEY, bucketKeyEnabled: true },
        kmsKeyArn: KEY,
        kms: [
          { action: 'kms:GenerateDataKey', resource: KEY, decision: 'implicitDeny' },
          { action: 'kms:Decrypt', resource: KEY, decision: 'allowed' },
        ],
      });
      const d = plan(evidence({ checkpoint: clean, access: kms, failureText: `${text} (KMS.AccessDeniedException)` }));
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.KMS_DENIED });
      expect(d.summary).toContain(KEY);
      expect(d.kind === 'escalate' && d.recommendation.detail!.policy).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: KEY }],
      });
    });

    it("sends a KMS denial the role's policies allow to the key policy, with a grant command", () => {
      const kms = access({ kmsKeyArn: KEY, kms: [{ action: 'kms:GenerateDataKey', resource: KEY, decision: 'allowed' }] });
      const d = plan(
        evidence({
          checkpoint: clean,
          access: kms,
          failureText: `KMS.AccessDeniedException writing s3://${BUCKET}/${PREFIX}commits/250: User is not authorized to perform kms:GenerateDataKey`,
        }),
      );
      expect(d).toMatchObject({
        kind: 'escalate',
        reason: CheckpointReason.KMS_DENIED,
        recommendation: {
          command: `aws kms create-grant --key-id ${KEY} --grantee-principal ${pipeline.job.executionRoleArn} --operations GenerateDataKey Decrypt`,
        },
      });
    });
  });

  describe('slow storage, disk, and the rest', () => {
    it('escalates a timeout with the configuration change', () => {
      const d = plan(
        evidence({
          checkpoint: clean,
          failureText: 'java.net.SocketTimeoutException: Read timed out writing s3://orders-data-lake/_checkpoints/streaming/orders/state/0/1/250.delta',
        }),
      );
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.TIMEOUT, severity: 'error' });
      expect(d.kind === 'escalate' && d.recommendation.command).toContain('changelogCheckpointing.enabled=true');
    });

    it('counts a checkpoint slower than the bound as slow storage, and one at the bound as not', () => {
      const quiet = { checkpoint: clean, failureText: undefined, failureTextSource: 'none' as const, run: run({ state: 'RUNNING' }) };
      expect(plan(evidence({ ...quiet, durationMaxMs: settings.bounds.slowCheckpointMs + 1 }), { trigger: alarmTrigger }).reason).toBe(
        CheckpointReason.TIMEOUT,
      );
      expect(plan(evidence({ ...quiet, durationMaxMs: settings.bounds.slowCheckpointMs }), { trigger: alarmTrigger }).reason).toBe(
        CheckpointReason.UNCLASSIFIED,
      );
    });

    it('escalates a full disk with the executor disk setting', () => {
      const d = plan(evidence({ checkpoint: clean, failureText: 'java.io.IOException: No space left on device while writing checkpoint state' }));
      expect(d).toMatchObject({ kind: 'escalate', reason: CheckpointReason.DISK_FULL });
      expect(d.kind === 'escalate' && d.recommendation.command).toContain('spark.emr-serverless.executor.disk=100G');
    });

    it('ignores a job failure that is not about the checkpoint', () => {
      const d = plan(evidence({ checkpoint: clean, failureText: 'ExecutorLostFailure (executor 3 exited) Reason: Container killed, exit code 137' }));
      expect(d).toMatchObject({ kind: 'ignore', reason: CheckpointReason.NOT_A_CHECKPOINT_FAILURE });
    });
  });
});
