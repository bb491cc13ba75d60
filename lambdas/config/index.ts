import * as z from 'zod';
import { ConfigError } from '../core/errors';
import { formatPath } from '../util/format-path';
import { configSchema, type StreamfixConfig, type StreamfixConfigInput } from './schema';

export { configSchema, formatPath };
export { bakedConfig } from './baked';
export type { StreamfixConfig, StreamfixConfigInput, PipelineConfig, EmrPipeline, FlinkPipeline, PipelineOf, JobConfig, JobKind, EmrServerlessJob, ManagedFlinkJob } from './schema';
export { byJobKind, isEmrPipeline, isFlinkPipeline, jobLabel } from './job-kind';

/** Validates and fills defaults; throws ConfigError listing every issue with its path. */
export function parseConfig(input: unknown): StreamfixConfig {
  const r = configSchema.safeParse(input);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => ({
        path: formatPath(i.path),
        message: i.code === 'invalid_type' && i.input === undefined ? 'Required' : i.message,
      })),
    );
  }
  return r.data;
}

/**
 * Typed helper for `streamfix.config.ts`. It validates at load time, so a bad config fails
 * at synth, in the CLI and in tests alike, with every error naming its path.
 */
export function defineConfig(input: StreamfixConfigInput): StreamfixConfig {
  return parseConfig(input);
}

/** JSON Schema of the config (what users write), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
