import type { AdapterClasses, AwsAdapters } from '../adapters/select';
import type { JobConfig, JobKind, PipelineOf } from '../config/schema';
import type { ActionDefinition, PermissionSpec, PipelineContext } from '../core/playbook';

/**
 * The job-runtime interface: what the playbooks ask of the thing that runs a pipeline's job,
 * whichever it is. An EMR Serverless job is a series of runs on one Spark checkpoint; a Managed
 * Flink job is one application restored from its snapshots. The playbooks call this interface
 * where their judgment is the same for both (is the job running? how far can it be scaled? what
 * does it resume from?) and each runtime's own code where it is not (EMR's attempts, Flink's
 * operations and restarts).
 *
 * Each runtime gives:
 * - `resource(job)`: the lock, cooldown and budget key of the job (one job, one state);
 * - `readJob`: the job's state, in the runtime's words and as a phase every playbook understands;
 * - `readRestorePoint`: where it resumes from (the Spark checkpoint, the newest READY snapshot);
 * - `actions`: the restart (from the restore point) and the scale action, each an ActionDefinition
 *   carrying its bounds (`checkBounds`) and the IAM it calls (`iamActions`);
 * - `permissions`: the IAM of reading, restarting and scaling the configured job, scoped to it;
 * - `adapters`: the services those reads and actions use.
 */

/** A job's state as the playbooks judge it. */
export type JobPhase =
  /** Processing: an EMR run RUNNING; a Flink application RUNNING. */
  | 'running'
  /** On its way to running: EMR SUBMITTED/PENDING/SCHEDULED/QUEUED; Flink STARTING. */
  | 'starting'
  /** The platform is changing it and will bring it back: Flink UPDATING, AUTOSCALING, ROLLING_BACK, MAINTENANCE. */
  | 'changing'
  /** Being stopped: EMR CANCELLING; Flink STOPPING, FORCE_STOPPING. */
  | 'stopping'
  /** Not running and not failed: no EMR run active (the last ended by SUCCESS or a cancel); Flink READY. */
  | 'stopped'
  /** Not running because it failed: the last EMR run FAILED; (Flink reports failures as READY after a failed operation). */
  | 'failed'
  /** Being deleted, or nothing found. */
  | 'gone';

export interface JobState {
  phase: JobPhase;
  /** The runtime's own word: an EMR run state, a Flink ApplicationStatus. */
  status: string;
  /** What it is: the EMR run id, or `version <n>` of the Flink application. */
  id?: string;
  detail?: string;
  /** Tasks reading the source in parallel now: EMR executors × cores per executor; Flink CurrentParallelism. */
  parallelism?: number;
}

/** Where the job resumes from. */
export interface RestorePoint {
  kind: 'checkpoint' | 'snapshot';
  exists: boolean;
  /** The checkpoint's URI, or the snapshot's name. */
  name?: string;
  /** Newest write of the checkpoint, creation of the snapshot (ms). */
  atMs?: number;
}

export type RuntimeCapability = 'read' | 'restart' | 'scale';

export type JobOf<K extends JobKind> = Extract<JobConfig, { kind: K }>;

export interface JobRuntime<K extends JobKind = JobKind> {
  readonly kind: K;
  /** As pages name it: `EMR Serverless`, `Managed Service for Apache Flink`. */
  readonly title: string;
  resource(job: JobOf<K>): string;
  readJob(aws: AwsAdapters, job: JobOf<K>): Promise<JobState>;
  readRestorePoint(aws: AwsAdapters, job: JobOf<K>): Promise<RestorePoint>;
  // biome-ignore lint/suspicious/noExplicitAny: each runtime brings its own action input and settings types
  readonly actions: { readonly restart: ActionDefinition<any, any>; readonly scale: ActionDefinition<any, any> };
  permissions(p: PipelineContext<unknown, PipelineOf<K>>, needs: readonly RuntimeCapability[]): PermissionSpec[];
  readonly adapters: AdapterClasses;
}

/**
 * A playbook's evidence comes from the branch of the pipeline's runtime: a Flink branch's evidence
 * carries `runtime: 'managed-flink'`, an EMR branch's carries no tag (its shape predates the tag).
 * Plans get the evidence of their own runtime, or an error naming the mix-up.
 */
export interface FlinkTagged {
  runtime: 'managed-flink';
}

const tagged = (e: unknown): e is FlinkTagged => typeof e === 'object' && e !== null && (e as { runtime?: unknown }).runtime === 'managed-flink';

export function flinkEvidence<F extends FlinkTagged>(e: F | object): F {
  if (!tagged(e)) throw new Error('the evidence is not from the managed-flink branch, yet the pipeline runs on managed-flink');
  return e as F;
}

export function emrEvidence<X extends object>(e: X | FlinkTagged): X {
  if (tagged(e)) throw new Error('the evidence is from the managed-flink branch, yet the pipeline runs on emr-serverless');
  return e as X;
}
