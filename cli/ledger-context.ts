import type { AwsClientOptions } from '../lambdas/adapters/clients';
import type { CallerIdentity } from '../lambdas/adapters/sts';
import type { StreamfixConfig } from '../lambdas/config/schema';
import type { Ledger } from '../lambdas/ledger/ledger';
import { dynamoLedger } from '../lambdas/engine/dynamo-ledger';
import { isUserConfigError, loadConfigFile } from '../lib/config-file';
import type { CliIo } from './common';
import { whoIsCalling } from './identity';

/**
 * What the CLI commands that read or write the stack's ledger share: the config, the region,
 * the ledger table, and who is calling. Errors are messages for the user, never stack traces.
 */
export interface LedgerContext {
  config: StreamfixConfig;
  region: string;
  aws: AwsClientOptions;
  ledger: Ledger;
  identity: CallerIdentity;
}

/** The config, region, ledger and caller; a message (exit code 2) when one of them cannot be had. */
export async function openLedger(v: Record<string, unknown>, io: CliIo): Promise<LedgerContext | { error: string }> {
  let config: StreamfixConfig;
  try {
    config = await (io.loadConfig ?? ((p: string) => loadConfigFile(p)))((v.config as string | undefined) ?? 'streamfix.config.ts');
  } catch (e) {
    return { error: isUserConfigError(e) ? e.message : `--config: ${(e as Error).message}` };
  }
  const env = io.env ?? process.env;
  const region = (v.region as string | undefined) ?? config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) return { error: 'no region: pass --region, set region in the config, or set AWS_REGION' };
  const who = await whoIsCalling(region, io.callerIdentity);
  if (!who.ok) return { error: who.error };
  const endpoint = v['dynamodb-endpoint'] as string | undefined;
  const aws: AwsClientOptions = { region, ...(endpoint ? { endpoints: { dynamodb: endpoint } } : {}) };
  const ledger = dynamoLedger(aws, (v.table as string | undefined) ?? `${config.name}-ledger`);
  return { config, region, aws, ledger, identity: who.identity };
}
