import type { SimCloudWatch } from './cloudwatch';
import type { KnownJob, SimContext } from './context';
import type { SimEmrServerless } from './emr';
import type { SimJobRun } from './emr-state';
import type { SimIam } from './iam';
import type { SimKms } from './kms';
import type { SimS3 } from './s3';
import { s3LocationOf } from '../../lambdas/util/s3-uri';

/**
 * What a Spark streaming job does with its checkpoint, as far as failing goes:
 * - at start (2 s after RUNNING) it reads the newest `offsets/N`, `offsets/N-1` and the newest
 *   `commits/C`: an empty, unversioned, too-new or unparsable file fails the run with Spark's
 *   own message, as does a missing `offsets/N-1`;
 * - while RUNNING (checked every 5 s) it writes the checkpoint with its execution role: a role
 *   the simulated IAM knows that may not `s3:PutObject` on the checkpoint, or may not use the
 *   bucket's KMS key (`kms:GenerateDataKey`), or a disabled key, fails the run.
 * Each failure adds 1 to the pipeline's checkpoint-failure metric, when the scenario names one.
 * Roles the simulated IAM does not know are not checked (most scenarios model no IAM).
 * Judged here independently of streamfix's own checkpoint reader.
 */

export interface CheckpointFailureMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

const START_CHECK_MS = 2_000;
const WRITE_CHECK_MS = 5_000;
const SPARK_FAILED = 'Job failed, please check complete logs in configured logging destination. ExitCode: 1. Last few exceptions: ';

export class CheckpointGuard {
  /** Default encryption key of a bucket (SSE-KMS), by bucket. */
  readonly bucketKeys = new Map<string, string>();
  failureMetric: CheckpointFailureMetric | undefined;

  constructor(
    private readonly ctx: SimContext,
    private readonly s3: SimS3,
    private readonly emr: SimEmrServerless,
    private readonly deps: { iam: SimIam; kms: SimKms; cloudwatch: SimCloudWatch },
    private readonly jobs: readonly KnownJob[],
  ) {
    // GetBucketEncryption on the simulated S3: the bucket's SSE-KMS key when one is set, else
    // SSE-S3, every bucket's default since 2023.
    Object.assign(s3.operations as unknown as Record<string, (i: { Bucket?: string }) => unknown>, {
      GetBucketEncryption: (i: { Bucket?: string }) => {
        const key = this.bucketKeys.get(i.Bucket ?? '');
        const rule = key
          ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: true }
          : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false };
        return { ServerSideEncryptionConfiguration: { Rules: [rule] } };
      },
    });
    emr.onStateChange((run, previous, seeded) => {
      if (run.state !== 'RUNNING' || previous === 'RUNNING') return;
      const job = this.jobOf(run);
      if (!job) return;
      if (!seeded) this.ctx.clock.after(START_CHECK_MS, `checkpoint read ${job.pipeline}`, () => this.onStart(run, job));
      this.ctx.clock.after(WRITE_CHECK_MS, `checkpoint write ${job.pipeline}`, () => this.onWrite(run, job));
    });
  }

  private jobOf(run: SimJobRun): KnownJob | undefined {
    return this.jobs.find((j) => j.applicationId === run.applicationId && j.jobName === run.name);
  }

  private alive(run: SimJobRun): boolean {
    return this.emr.getRun(run.jobRunId)?.state === 'RUNNING';
  }

  /** Fails the run as Spark would, and counts a checkpoint failure. */
  fail(run: SimJobRun, exception: string): void {
    if (!this.alive(run)) return;
    this.emr.failRun(run.jobRunId, `${SPARK_FAILED}${exception}`);
    const m = this.failureMetric;
    if (m)
      this.deps.cloudwatch.store.putValue({ namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions }, this.ctx.clock.now(), 1, 'Count');
  }

  private onStart(run: SimJobRun, job: KnownJob): void {
    if (!this.alive(run)) return;
    const problem = this.unreadable(job.checkpoint);
    if (problem) this.fail(run, problem);
  }

  private onWrite(run: SimJobRun, job: KnownJob): void {
    if (!this.alive(run)) return;
    const problem = this.writeDenied(run, job);
    if (problem) {
      this.fail(run, problem);
      return;
    }
    this.ctx.clock.after(WRITE_CHECK_MS, `checkpoint write ${job.pipeline}`, () => this.onWrite(run, job));
  }

  private ids(bucket: string, dir: string): number[] {
    return this.s3
      .keys(bucket, dir)
      .map((k) => k.slice(dir.length))
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** Spark's reading of the files it needs on restart, or undefined when they read. */
  unreadable(checkpointUri: string): string | undefined {
    const { bucket, prefix } = s3LocationOf(checkpointUri);
    const offsets = this.ids(bucket, `${prefix}offsets/`);
    const commits = this.ids(bucket, `${prefix}commits/`);
    const n = offsets[offsets.length - 1];
    const c = commits[commits.length - 1];
    const text = (key: string) => this.s3.object(bucket, key)?.body.toString('utf8');
    const logProblem = (key: string, kind: 'offsets' | 'commits'): string | undefined => {
      const body = text(key) ?? '';
      const where = `s3://${bucket}/${key}`;
      if (body.length === 0) return `java.lang.IllegalStateException: Incomplete log file${kind === 'commits' ? ' in the offset commit log' : ''} (${where})`;
      const lines = body.split('\n');
      const v = /^v(\d+)$/.exec((lines[0] ?? '').trim());
      if (!v || Number(v[1]) < 1)
        return `java.lang.IllegalStateException: Log file was malformed: failed to read correct log version from ${lines[0]} (${where})`;
      if (Number(v[1]) > 1)
        return `java.lang.IllegalStateException: UnsupportedLogVersion: maximum supported log version is v1, but encountered v${v[1]}. The log file was produced by a newer version of Spark and cannot be read by this version. (${where})`;
      for (const line of lines.slice(1).filter((l) => l !== '' && l !== '-')) {
        try {
          JSON.parse(line);
        } catch {
          return `java.lang.IllegalStateException: Log file was malformed: cannot parse ${line.slice(0, 40)} (${where})`;
        }
      }
      return undefined;
    };
    if (n !== undefined) {
      const latest = logProblem(`${prefix}offsets/${n}`, 'offsets');
      if (latest) return latest;
      if (n > 0 && !offsets.includes(n - 1)) return `java.lang.IllegalStateException: batch ${n - 1} doesn't exist (s3://${bucket}/${prefix}offsets/)`;
      if (n > 0) {
        const prev = logProblem(`${prefix}offsets/${n - 1}`, 'offsets');
        if (prev) return prev;
      }
    }
    return c !== undefined ? logProblem(`${prefix}commits/${c}`, 'commits') : undefined;
  }

  private writeDenied(run: SimJobRun, job: KnownJob): string | undefined {
    const role = run.executionRole ?? job.executionRoleArn;
    const { bucket, prefix } = s3LocationOf(job.checkpoint);
    const next = (this.ids(bucket, `${prefix}commits/`).pop() ?? -1) + 1;
    const key = `${prefix}commits/${next}`;
    const known = this.deps.iam.hasRole(role);
    if (known && this.deps.iam.decide(role, 's3:PutObject', `arn:aws:s3:::${bucket}/${key}`).decision !== 'allowed') {
      return `java.nio.file.AccessDeniedException: s3://${bucket}/${key}: PutObject on ${key}: software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status Code: 403, Error Code: AccessDenied)`;
    }
    const keyArn = this.bucketKeys.get(bucket);
    if (keyArn === undefined) return undefined;
    if (this.deps.kms.exists(keyArn) && !this.deps.kms.enabled(keyArn)) {
      return `java.nio.file.AccessDeniedException: s3://${bucket}/${key}: PutObject: KMS.DisabledException: ${keyArn} is disabled. (Service: S3, Status Code: 400)`;
    }
    if (known && this.deps.iam.decide(role, 'kms:GenerateDataKey', keyArn).decision !== 'allowed') {
      return `java.nio.file.AccessDeniedException: s3://${bucket}/${key}: PutObject: User: ${role} is not authorized to perform: kms:GenerateDataKey on resource: ${keyArn} because no identity-based policy allows the kms:GenerateDataKey action (Service: AWSKMS; Status Code: 400; Error Code: KMS.AccessDeniedException)`;
    }
    return undefined;
  }
}
