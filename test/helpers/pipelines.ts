import { isEmrPipeline, isFlinkPipeline } from '../../lambdas/config/job-kind';
import type { EmrPipeline, FlinkPipeline, PipelineConfig } from '../../lambdas/config/schema';

/** A pipeline of a parsed config that the test knows runs on EMR Serverless (an error otherwise). */
export function emrPipeline(p: PipelineConfig | undefined): EmrPipeline {
  if (!p || !isEmrPipeline(p)) throw new Error(`the test expects an EMR Serverless pipeline, got ${p ? p.job.kind : 'none'}`);
  return p;
}

/** A pipeline of a parsed config that the test knows runs on Managed Service for Apache Flink. */
export function flinkPipeline(p: PipelineConfig | undefined): FlinkPipeline {
  if (!p || !isFlinkPipeline(p)) throw new Error(`the test expects a Managed Flink pipeline, got ${p ? p.job.kind : 'none'}`);
  return p;
}
