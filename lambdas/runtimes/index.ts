import type { JobConfig, JobKind } from '../config/schema';
import { emrServerlessRuntime } from './emr-serverless/runtime';
import type { JobOf, JobRuntime } from './job-runtime';
import { managedFlinkRuntime } from './managed-flink/runtime';

export type { JobOf, JobPhase, JobRuntime, JobState, RestorePoint, RuntimeCapability } from './job-runtime';

/** Every job runtime, by the `job.kind` that selects it. */
export const jobRuntimes: { readonly [K in JobKind]: JobRuntime<K> } = {
  'emr-serverless': emrServerlessRuntime,
  'managed-flink': managedFlinkRuntime,
};

/** The runtime of a job, with the job typed for it. */
export function runtimeOf<J extends JobConfig>(job: J): { runtime: JobRuntime<J['kind']>; job: JobOf<J['kind']> } {
  return { runtime: jobRuntimes[job.kind as J['kind']] as unknown as JobRuntime<J['kind']>, job: job as unknown as JobOf<J['kind']> };
}

/** The lock, cooldown and budget key of a pipeline's job, whichever runs it. */
export function jobResourceOf(job: JobConfig): string {
  return job.kind === 'emr-serverless' ? emrServerlessRuntime.resource(job) : managedFlinkRuntime.resource(job);
}
