import type { EmrServerlessJob, StreamfixConfig } from '../lambdas/config';

/**
 * A pipeline's EMR Serverless job, for the drills' EMR parts (job runs, Spark checkpoints, MSK
 * consumers): an error naming the pipeline and `what` when it is unknown or runs on another
 * runtime, so a timeline entry meant for EMR never silently does nothing on a Flink pipeline.
 */
export function emrJobOf(config: StreamfixConfig, pipeline: string, what: string): EmrServerlessJob {
  const p = config.pipelines[pipeline];
  if (!p) throw new Error(`${what}: unknown pipeline "${pipeline}"`);
  if (p.job.kind !== 'emr-serverless') throw new Error(`${what}: pipeline "${pipeline}" runs on ${p.job.kind}; this is for EMR Serverless jobs`);
  return p.job;
}

/** The EMR Serverless pipelines of a config, by name. */
export const emrPipelines = (config: StreamfixConfig): [string, EmrServerlessJob][] =>
  Object.entries(config.pipelines).flatMap(([name, p]) => (p.job.kind === 'emr-serverless' ? [[name, p.job] as [string, EmrServerlessJob]] : []));
