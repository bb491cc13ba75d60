#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth | diff | deploy` (cdk.json runs this file with tsx).
 * Reads the config from `streamfix.config.ts`, or from `-c config=path/to/file.ts`, validates it,
 * and builds the stack. cdk-nag's AwsSolutions checks run on every synth (cdk-nag 3 is a CDK
 * policy-validation plugin: findings fail the synth; acknowledgements sit on the resources).
 *
 * `npm run synth` / `npm run cdk -- deploy` set CDK_DISABLE_VERSION_CHECK=1 so the CLI does not
 * wait on the network for a version check; cdk.json turns notices and telemetry off.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { StreamfixConfig } from '../lambdas/config';
import { DEFAULT_CONFIG_FILE, isUserConfigError, loadConfigFile } from '../lib/config-file';
import { StreamfixStack } from '../lib/stack';

const app = new App();
const configPath = (app.node.tryGetContext('config') as string | undefined) ?? DEFAULT_CONFIG_FILE;

let config: StreamfixConfig;
try {
  config = await loadConfigFile(configPath);
} catch (err) {
  if (!isUserConfigError(err)) throw err;
  console.error(err.message);
  process.exit(1);
}

const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = config.region ?? process.env.CDK_DEFAULT_REGION;
new StreamfixStack(app, config.name, {
  config,
  ...(account !== undefined || region !== undefined ? { env: { account, region } } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
