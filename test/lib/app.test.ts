import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/config/errors';
import { functionName } from '../../lambdas/core/names';
import { buildOperationWiring, buildWiring } from '../../lambdas/wiring';
import { ConfigFileError, loadConfigFile } from '../../lib/config-file';
import { PROJECT_ROOT } from '../../lib/stack';
import { STACK_ENV, expectedNagFindings, type CfnJson, type NagPluginReport } from './fixture';

const fixture = (name: string) => `test/fixtures/cdk/${name}`;

/** Runs the CDK app entry as `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(context: Record<string, string>, outdir: string) {
  return spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: 230_000,
  });
}

describe('Function: loadConfigFile', () => {
  it('loads and validates the example config by default', async () => {
    const config = await loadConfigFile();
    expect(config.name).toBe('streamfix');
    expect(Object.keys(config.pipelines)).toEqual(['orders']);
  });

  it('throws the ConfigError of a defineConfig file, naming the path of the bad field', async () => {
    const err = await loadConfigFile(fixture('bad-application-id.config.ts')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['pipelines.orders.job.applicationId']);
  });

  it('validates a config exported as a plain object', async () => {
    const err = await loadConfigFile(fixture('plain-object.config.ts')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(['name', 'pipelines']);
  });

  it('throws ConfigFileError for a missing file or a file without a default export', async () => {
    await expect(loadConfigFile(fixture('does-not-exist.config.ts'))).rejects.toThrow(ConfigFileError);
    await expect(loadConfigFile(fixture('no-default.config.ts'))).rejects.toThrow(/has no default export/);
  });
});

describe('Entry: bin/app.ts', () => {
  const outdirs: string[] = [];
  const tempOutdir = () => {
    const d = mkdtempSync(join(tmpdir(), 'streamfix-app-'));
    outdirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of outdirs) rmSync(d, { recursive: true, force: true });
  });

  it('fails on a bad config (-c config=…) with the path of the bad field and no stack trace', () => {
    const r = runApp({ config: fixture('bad-application-id.config.ts') }, tempOutdir());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid streamfix config');
    expect(r.stderr).toContain('pipelines.orders.job.applicationId: must be an EMR Serverless application id');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);

  it('synthesizes the example config, with the AwsSolutions checks run and passed', async () => {
    // Prepare: what the example config wires
    const config = await loadConfigFile();
    const ids = [...buildWiring(config, STACK_ENV).map((w) => w.playbook), ...buildOperationWiring(config).map((w) => w.operation), 'dead-letters'];
    const outdir = tempOutdir();
    // Act
    const r = runApp({}, outdir);
    // Assess
    expect(r.status, r.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, `${config.name}.template.json`), 'utf8')) as { Resources: Record<string, CfnJson> };
    const functions = Object.values(template.Resources).filter((res) => res.Type === 'AWS::Lambda::Function');
    expect(functions.map((f) => f.Properties.FunctionName).sort()).toEqual(ids.map((id) => functionName(config.name, id)).sort());
    expect(ids).toContain('job-failed');
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: NagPluginReport[] };
    const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(nag?.conclusion).toBe('success');
    expect(nag?.violations).toEqual([]);
    // every finding of the template is acknowledged, and nothing else is
    const expected = expectedNagFindings(template.Resources)
      .map((f) => f.ruleName)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect((nag?.suppressedViolations ?? []).map((v) => v.ruleName).sort()).toEqual(expected);
    // and every acknowledgement the assembly records (by construct path) is one of those findings
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { additionalMetadataFile?: string }> };
    const metadataFile = manifest.artifacts[config.name]?.additionalMetadataFile;
    expect(metadataFile).toBeDefined();
    const metadata = JSON.parse(readFileSync(join(outdir, metadataFile!), 'utf8')) as Record<string, { type: string; data: unknown }[]>;
    const acknowledged = Object.entries(metadata).flatMap(([path, entries]) =>
      entries
        .filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((e) => Object.keys(e.data as Record<string, string>).map((id) => `${path.replace(/^\//, '')} ${id}`)),
    );
    expect(acknowledged.sort()).toEqual((nag?.suppressedViolations ?? []).map((v) => `${v.acknowledgedAt} ${v.acknowledgedId}`).sort());
  }, 240_000);
});
