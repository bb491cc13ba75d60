import { createAwsAdapters } from '../lambdas/adapters';
import { readOnlyPlugin } from '../lambdas/adapters/read-only';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { ConfigError } from '../lambdas/config/errors';
import { ConfigFileError, loadConfigFile } from '../lib/config-file';
import { defaultIo, helped, parse, runCommand, str, UsageError, type CliIo } from './common';
import { crossCheck, type Finding } from './validate-checks';
import { liveChecks } from './validate-live';

/**
 * `streamfix validate [config] [--live]`: the schema (every error naming its path), then the
 * cross-checks of validate-checks.ts, then with `--live` read-only checks against the account.
 * Exit: 0 valid (warnings allowed), 1 invalid, 2 bad usage (no such file).
 */

export const VALIDATE_USAGE = `usage: streamfix validate [config-file] [--live] [--region <region>] [--json]
  config-file                      default streamfix.config.ts
  --live                           also check, read-only, that the clusters, applications, streams, buckets
                                   and metrics the config names exist (your AWS credentials)
  --region <region>                default: the config's region, then AWS_REGION (with --live)
  --json                           print the findings as JSON`;

export async function validateCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, VALIDATE_USAGE, async () => {
    const { values: v, positionals } = parse(args, { live: { type: 'boolean' } }, true);
    if (helped(v, io, VALIDATE_USAGE)) return 0;
    if (positionals.length > 1) throw new UsageError(`unexpected argument(s): ${positionals.slice(1).join(' ')}`);
    const file = positionals[0] ?? str(v, 'config') ?? 'streamfix.config.ts';
    const json = v.json === true;
    let config: StreamfixConfig;
    try {
      config = await (io.loadConfig ?? ((p: string) => loadConfigFile(p)))(file);
    } catch (e) {
      if (e instanceof ConfigFileError) throw new UsageError(`config-file: ${e.message}`);
      if (e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError')) {
        const issues = (e as ConfigError).issues;
        if (json) io.out(JSON.stringify({ file, valid: false, findings: issues.map((i) => ({ level: 'error', path: i.path, message: i.message })) }, null, 2));
        else io.out([`${file}: invalid`, ...issues.map((i) => `  error ${i.path}: ${i.message}`)].join('\n'));
        return 1;
      }
      throw e;
    }
    const report = crossCheck(config);
    const findings: Finding[] = [...report.findings];
    if (v.live === true) {
      const env = io.env ?? process.env;
      const region = str(v, 'region') ?? config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      if (!region) throw new UsageError('--region: no region for --live: pass --region, set `region` in the config, or set AWS_REGION');
      const aws = createAwsAdapters({ ...io.aws, region, plugins: [readOnlyPlugin(), ...(io.aws?.plugins ?? [])] });
      findings.push(...(await liveChecks(config, report.inventory, aws, region)));
    }
    const errors = findings.filter((f) => f.level === 'error');
    if (json) {
      io.out(
        JSON.stringify(
          { file, valid: errors.length === 0, live: v.live === true, findings, resources: report.inventory, functions: report.functions },
          null,
          2,
        ),
      );
      return errors.length === 0 ? 0 : 1;
    }
    const inv = report.inventory;
    const lines = [
      `${file}: ${errors.length === 0 ? 'valid' : 'invalid'} (${Object.keys(config.pipelines).length} pipeline(s), ${report.functions.length} playbook function(s)${v.live === true ? ', checked against the account' : ''})`,
      ...findings.map((f) => `  ${f.level} ${f.path}: ${f.message}`),
      'names',
      `  clusters: ${inv.clusters.map((c) => c.name).join(', ') || 'none'}`,
      `  applications: ${inv.applications.map((a) => a.applicationId).join(', ')}`,
      `  streams: ${inv.streams.map((s) => s.name).join(', ') || 'none'}`,
      `  S3: ${inv.locations.map((l) => l.uri).join(', ')}`,
      'roles (IAM policy size, characters without whitespace)',
      ...report.functions.map(
        (f) => `  ${f.fn}: ${f.chars.toLocaleString('en-US')}${f.managedPolicies > 0 ? ` (inline and ${f.managedPolicies} managed policies)` : ' (inline)'}`,
      ),
    ];
    io.out(lines.join('\n'));
    return errors.length === 0 ? 0 : 1;
  });
}
