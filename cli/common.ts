import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AwsClientOptions } from '../lambdas/adapters/clients';
import type { CallerIdentity } from '../lambdas/adapters/sts';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { systemClock, type Clock } from '../lambdas/core/clock';
import { StreamfixError } from '../lambdas/core/errors';
import { isUserConfigError, loadConfigFile } from '../lib/config-file';

/**
 * What every operator command shares: its I/O (injectable for tests), the common options, the
 * config and region, and one way to end: exit 0 done, 1 refused or failed, 2 bad usage; every
 * error a message naming the argument or the call that failed, never a stack trace.
 */

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env?: NodeJS.ProcessEnv;
  loadConfig?(path: string): Promise<StreamfixConfig>;
  /** SDK options added to the region (tests: the simulated platform's plugin, a local DynamoDB). */
  aws?: Partial<AwsClientOptions>;
  /** Who runs the command (default: STS GetCallerIdentity of the default credential chain). */
  callerIdentity?(): Promise<CallerIdentity>;
  /** Runs a function and returns its result (default: Lambda Invoke, RequestResponse). */
  invoke?(functionName: string, payload: unknown): Promise<unknown>;
  clock?: Clock;
}

export const defaultIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** A wrong argument: exit 2, the message names it. */
export class UsageError extends StreamfixError {
  override readonly name = 'UsageError';
}

/** The command ran and was refused (or found problems): exit 1 with this message. */
export class RefusedError extends StreamfixError {
  override readonly name = 'RefusedError';
}

/** The common options' help lines. */
export const COMMON_OPTIONS_USAGE = `  --config <file>                  default streamfix.config.ts
  --region <region>                default: the config's region, then AWS_REGION
  --table <name>                   ledger table (default <config name>-ledger)
  --dynamodb-endpoint <url>        a local stand-in for DynamoDB
  --json                           print the result as JSON`;

export const COMMON_USAGE = `common:
${COMMON_OPTIONS_USAGE}`;

export const COMMON_OPTIONS = {
  config: { type: 'string' },
  region: { type: 'string' },
  table: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export type Values = Record<string, string | boolean | string[] | undefined>;

/** `parseArgs` whose errors are usage errors naming the option. */
export function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = false): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals: positionals });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

export interface CliContext {
  config: StreamfixConfig;
  region: string;
  aws: AwsClientOptions;
  table: string;
  json: boolean;
  clock: Clock;
}

/** The config, region and SDK options the command runs with. */
export async function context(v: Values, io: CliIo): Promise<CliContext> {
  const file = str(v, 'config') ?? 'streamfix.config.ts';
  let config: StreamfixConfig;
  try {
    config = await (io.loadConfig ?? ((p: string) => loadConfigFile(p)))(file);
  } catch (e) {
    if (isUserConfigError(e)) throw new UsageError(`--config ${file}: ${e.message}`);
    throw e;
  }
  const env = io.env ?? process.env;
  const region = str(v, 'region') ?? config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--region: no region: pass --region, set `region` in the config, or set AWS_REGION');
  const endpoint = str(v, 'dynamodb-endpoint');
  const aws: AwsClientOptions = {
    ...io.aws,
    region,
    ...(endpoint ? { endpoints: { ...io.aws?.endpoints, dynamodb: endpoint } } : {}),
  };
  return { config, region, aws, table: str(v, 'table') ?? `${config.name}-ledger`, json: v.json === true, clock: io.clock ?? systemClock };
}

/** A pipeline the config has, or a usage error naming `--pipeline` and the known ones. */
export function pipelineOf(config: StreamfixConfig, name: string | undefined, required: boolean): string | undefined {
  if (name === undefined) {
    if (required) throw new UsageError(`--pipeline: required (one of ${Object.keys(config.pipelines).join(', ')})`);
    return undefined;
  }
  if (!(name in config.pipelines)) throw new UsageError(`--pipeline: unknown pipeline "${name}" (the config has ${Object.keys(config.pipelines).join(', ')})`);
  return name;
}

/** `24h`, `90m`, `7d`, `30s` → milliseconds; a usage error naming `option` otherwise. */
export function durationArg(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: expected a duration such as 30m, 24h or 7d, got "${text}"`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** An error for a person: its name when it says something, its message, and a hint for missing credentials. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const name = e.name && !['Error', 'StreamfixError', 'RefusedError'].includes(e.name) ? `${e.name}: ` : '';
  const credentials = /credential|ExpiredToken|security token/i.test(`${e.name} ${e.message}`)
    ? ' (check your AWS credentials: AWS_PROFILE, `aws sso login`, or the environment variables)'
    : '';
  return `${name}${e.message}${credentials}`;
}

/**
 * Runs a command body: its exit code, or 2 for a usage error (with the usage), 1 for any other
 * error; the message goes to stderr, never a stack trace.
 */
export async function runCommand(io: CliIo, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n${usage}`);
      return 2;
    }
    io.err(`error: ${describeError(e)}`);
    return 1;
  }
}

/** `--help`: the usage on stdout, exit 0. */
export function helped(v: Values, io: CliIo, usage: string): boolean {
  if (v.help !== true) return false;
  io.out(usage);
  return true;
}

/** Milliseconds as `2026-01-01T00:03:00Z`. */
export const iso = (ms: number | undefined): string => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Rows as aligned columns. */
export function columns(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
