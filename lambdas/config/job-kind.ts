import type { EmrPipeline, FlinkPipeline, JobKind, PipelineConfig } from './schema';

export const isEmrPipeline = (p: PipelineConfig): p is EmrPipeline => p.job.kind === 'emr-serverless';
export const isFlinkPipeline = (p: PipelineConfig): p is FlinkPipeline => p.job.kind === 'managed-flink';

/**
 * Hands a value that carries a pipeline (a manifest's PipelineContext, a playbook's context, a
 * plan's input) to the code written for that pipeline's job runtime, with the pipeline's type
 * narrowed to it. Every runtime must be named: a new job kind fails to compile until each caller
 * says what it does there.
 */
export type ByJobKind<C extends { pipeline: PipelineConfig }, T> = {
  'emr-serverless': (c: C & { pipeline: EmrPipeline }) => T;
  'managed-flink': (c: C & { pipeline: FlinkPipeline }) => T;
};

export function byJobKind<C extends { pipeline: PipelineConfig }, T>(c: C, by: ByJobKind<C, T>): T {
  const kind: JobKind = c.pipeline.job.kind;
  switch (kind) {
    case 'emr-serverless':
      return by['emr-serverless'](c as C & { pipeline: EmrPipeline });
    case 'managed-flink':
      return by['managed-flink'](c as C & { pipeline: FlinkPipeline });
  }
}

/** The job's name as pages and evidence show it: the EMR job name, or the Flink application name. */
export const jobLabel = (p: PipelineConfig): string => (p.job.kind === 'emr-serverless' ? p.job.jobName : p.job.applicationName);

/** The bound an action for one runtime breaks on a pipeline of another: as a sentence naming the field. */
export const wrongRuntime = (p: PipelineConfig, expected: JobKind): string => `job.kind ${p.job.kind}: this action is for ${expected} jobs only`;
