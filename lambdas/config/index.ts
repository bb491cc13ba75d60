import { formatPath } from '../util/format-path';

/**
 * The config's shape and its parts. Parsing a user config (every playbook's settings composed
 * in) is lambdas/schema.ts's: parseConfig, defineConfig, configJsonSchema.
 */
export { formatPath };
export { bakedConfig } from './baked';
export { ConfigError } from './errors';
export type {
  StreamfixConfig,
  PipelineConfig,
  PlaybookBlock,
  EmrPipeline,
  FlinkPipeline,
  PipelineOf,
  JobConfig,
  JobKind,
  EmrServerlessJob,
  ManagedFlinkJob,
} from './schema';
export { byJobKind, isEmrPipeline, isFlinkPipeline, jobLabel } from './job-kind';
