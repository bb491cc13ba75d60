import * as z from 'zod';
import { ConfigError } from './config/errors';
import { formatPath } from './util/format-path';
import { configSchemaWith, type StreamfixConfig } from './config/schema';
import { playbookSettingsSchemas } from './playbooks/registry';

/**
 * The full config schema: the config's shape (config/schema.ts) with every playbook's settings
 * schema composed in, from the registry. Everything that parses a user config goes through here
 * (synth, the CLI, the drills, `npm run schema`), so every error names its exact path
 * (`pipelines.orders.playbooks.job-failed.mode: Invalid option: …`). A Lambda reads the config
 * baked at synth (config/baked.ts) and validates its own playbook's settings with its manifest.
 */
export const configSchema = configSchemaWith(z.object(playbookSettingsSchemas).strict().prefault({}), Object.keys(playbookSettingsSchemas));

/** A config as written (what `defineConfig` takes). */
export type StreamfixConfigInput = z.input<typeof configSchema>;

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
