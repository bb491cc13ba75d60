import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StreamfixConfig } from '../lambdas/config';
import { parseConfig } from '../lambdas/schema';
import { ConfigError } from '../lambdas/config/errors';
import { StreamfixError } from '../lambdas/util/errors';

/** The config the CDK app reads unless `-c config=path/to/file.ts` names another. */
export const DEFAULT_CONFIG_FILE = 'streamfix.config.ts';

/** The config file is missing, cannot be loaded, or has no default export. */
export class ConfigFileError extends StreamfixError {
  override readonly name = 'ConfigFileError';
}

const isConfigError = (err: unknown): err is ConfigError => err instanceof ConfigError || (err instanceof Error && err.name === 'ConfigError');

/**
 * Imports a config file (TypeScript or JavaScript, relative to `cwd`) and validates its default
 * export. A file written with `defineConfig` already throws ConfigError while it is imported;
 * one exporting a plain object is validated here. Either way a bad config is a ConfigError
 * listing every issue with its path.
 */
export async function loadConfigFile(path: string = DEFAULT_CONFIG_FILE, cwd: string = process.cwd()): Promise<StreamfixConfig> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new ConfigFileError(`config file not found: ${file}`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    if (isConfigError(err)) throw err;
    throw new ConfigFileError(`cannot load config file ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (mod.default === undefined) {
    throw new ConfigFileError(`config file ${file} has no default export (export default defineConfig({ ... }))`);
  }
  return parseConfig(mod.default);
}

/** Errors a user fixes in their config: print the message alone, no stack trace. */
export const isUserConfigError = (err: unknown): err is StreamfixError => isConfigError(err) || err instanceof ConfigFileError;
