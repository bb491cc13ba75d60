import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { AwsClientOptions } from '../lambdas/adapters/clients';
import { compactUtc } from '../lambdas/analysis/checkpoint/manifest';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { systemClock, type Clock } from '../lambdas/core/clock';
import { ENV_VARS, type RuntimeEnv } from '../lambdas/core/env';
import { createCheckpointOpsOperation, type CheckpointOpsPayloadInput } from '../lambdas/operations/checkpoint-ops';
import { createOperationHandler, type OperationInvocationResult } from '../lambdas/operations/runtime';
import { isUserConfigError, loadConfigFile } from '../lib/config-file';
import type { CallerIdentity } from '../lambdas/adapters/sts';
import { whoIsCalling } from './identity';
import { withoutOutcome } from './replay';
import { formatBytes, formatCount } from './progress-bar';

/**
 * `streamfix checkpoint …`: the checkpoint-ops operation run in-process with your AWS
 * credentials (the default credential chain), recorded in the stack's ledger table. Exit code:
 * 0 done, 3 stopped early (run the same command with the same --request-id to continue),
 * 1 failed or refused, 2 bad arguments.
 */

export const CHECKPOINT_USAGE = `usage: streamfix checkpoint <inspect|backup|rollback|reset|restore> --pipeline <name> [options]
  inspect                          read the checkpoint: batches, offsets, problems, reset options
    --checkpoint s3://…/           a prefix under the configured checkpoint (e.g. a Flink job directory)
    --format auto|spark|flink      default auto
    --savepoints s3://…/           Flink savepoints directory to list too
  backup                           copy the checkpoint to <checkpoint>_backup_<UTC timestamp>/ and verify it
  rollback --to-batch K            delete offsets/N for N > K and commits/N for N >= K: the job re-runs batch K
    --keep-commit                  keep commits/K: the job resumes after batch K instead
  reset --to latest|earliest|timestamp|last-good
    --timestamp <ISO-8601>         with --to timestamp
                                   deletes the checkpoint and prints the startingOffsets the job must use
  restore --from-backup s3://…/    put a verified backup back in place of the checkpoint
common:
  --confirm                        required by rollback, reset and restore
  --backup s3://…/                 rely on this verified backup instead of taking a new one
  --request-id <id>                names the operation (default: a UTC timestamp); reuse it to continue
  --config <file>                  default streamfix.config.ts
  --region <region>                default: the config's region, then AWS_REGION
  --table <name>                   ledger table (default <config name>-ledger)
  --s3-endpoint <url>              a local stand-in for S3 (path-style)
  --dynamodb-endpoint <url>        a local stand-in for DynamoDB
  --json                           print the result as JSON`;

export interface CheckpointCliIo {
  out(text: string): void;
  err(text: string): void;
  loadConfig?(path: string): Promise<StreamfixConfig>;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Who runs it (default: STS GetCallerIdentity of the default credential chain). */
  callerIdentity?(): Promise<CallerIdentity>;
}

const defaultIo: CheckpointCliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

const COMMANDS = ['inspect', 'backup', 'rollback', 'reset', 'restore'] as const;

type Values = Record<string, string | boolean | undefined>;

/** The operation payload the arguments describe (validated by the operation itself). */
export function checkpointPayloadFromArgs(command: string, v: Values, nowMs: number): CheckpointOpsPayloadInput {
  const s = (k: string) => v[k] as string | undefined;
  const requestId = s('request-id') ?? compactUtc(nowMs);
  const pipeline = s('pipeline') ?? '';
  const mutating = { confirm: v.confirm === true, ...(s('backup') ? { backupUri: s('backup')! } : {}) };
  switch (command) {
    case 'inspect':
      return {
        command,
        pipeline,
        ...(s('request-id') ? { requestId } : {}),
        ...(s('checkpoint') ? { checkpoint: s('checkpoint')! } : {}),
        ...(s('format') ? { format: s('format') as 'auto' } : {}),
        ...(s('savepoints') ? { savepoints: s('savepoints')! } : {}),
      };
    case 'backup':
      return { command, pipeline, requestId };
    case 'rollback': {
      const k = s('to-batch');
      if (k === undefined || !/^\d+$/.test(k)) throw new Error(`--to-batch: a batch id is required (got ${k ?? 'nothing'})`);
      return { command, pipeline, requestId, ...mutating, toBatch: Number(k), keepCommit: v['keep-commit'] === true };
    }
    case 'reset':
      return { command, pipeline, requestId, ...mutating, to: (s('to') ?? '') as 'latest', ...(s('timestamp') ? { timestamp: s('timestamp')! } : {}) };
    case 'restore':
      return { command, pipeline, requestId, ...mutating, fromBackup: s('from-backup') ?? '' };
    default:
      throw new Error(`unknown checkpoint command "${command}" (one of ${COMMANDS.join(', ')})`);
  }
}

function print(io: CheckpointCliIo, r: OperationInvocationResult, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(r, null, 2));
    return;
  }
  io.out(`${r.outcome}: ${withoutOutcome(r.outcome, r.summary)}`);
  for (const e of r.errors ?? []) io.out(`  ${e.field}: ${e.message}`);
  const res = r.result ?? {};
  if (Array.isArray(res.options)) {
    io.out('options (each backs up first):');
    for (const o of res.options as { option: string; command: string; loses: string; reReads: string }[]) {
      io.out(`  - ${o.option}\n      loses: ${o.loses}\n      re-reads: ${o.reReads}\n      ${o.command}`);
    }
  }
  if (res.startingOptions && typeof res.startingOptions === 'object') {
    io.out('start the job with these Kafka source options (the checkpoint is gone, so they apply):');
    for (const [k, val] of Object.entries(res.startingOptions as Record<string, string>)) io.out(`  ${k}=${val}`);
  }
  if (r.outcome === 'partial') io.out(`run the same command with --request-id ${String(r.operationId).split('.').pop()} to continue`);
}

export async function checkpointCommand(args: string[], io: CheckpointCliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        pipeline: { type: 'string' },
        'to-batch': { type: 'string' },
        'keep-commit': { type: 'boolean' },
        to: { type: 'string' },
        timestamp: { type: 'string' },
        'from-backup': { type: 'string' },
        backup: { type: 'string' },
        confirm: { type: 'boolean' },
        checkpoint: { type: 'string' },
        format: { type: 'string' },
        savepoints: { type: 'string' },
        'request-id': { type: 'string' },
        config: { type: 'string' },
        region: { type: 'string' },
        table: { type: 'string' },
        's3-endpoint': { type: 'string' },
        'dynamodb-endpoint': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${CHECKPOINT_USAGE}`);
    return 2;
  }
  const v = parsed.values as Values;
  const [command, ...extra] = parsed.positionals;
  if (v.help || command === undefined) {
    (v.help ? io.out : io.err)(CHECKPOINT_USAGE);
    return v.help ? 0 : 2;
  }
  const clock = io.clock ?? systemClock;
  let payload: CheckpointOpsPayloadInput;
  let config: StreamfixConfig;
  try {
    if (extra.length > 0) throw new Error(`unexpected argument(s): ${extra.join(' ')}`);
    payload = checkpointPayloadFromArgs(command, v, clock.now());
    config = await (io.loadConfig ?? ((p: string) => loadConfigFile(p)))((v.config as string | undefined) ?? 'streamfix.config.ts');
  } catch (e) {
    io.err(isUserConfigError(e) ? e.message : `${(e as Error).message}\n${CHECKPOINT_USAGE}`);
    return 2;
  }
  if (payload.pipeline !== '' && !(payload.pipeline in config.pipelines)) {
    io.err(`--pipeline: unknown pipeline "${payload.pipeline}" (the config has ${Object.keys(config.pipelines).join(', ')})\n${CHECKPOINT_USAGE}`);
    return 2;
  }
  const env = io.env ?? process.env;
  const region = (v.region as string | undefined) ?? config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    io.err('no region: pass --region, set region in the config, or set AWS_REGION');
    return 2;
  }
  const who = await whoIsCalling(region, io.callerIdentity);
  if (!who.ok) {
    io.err(who.error);
    return 2;
  }
  payload = { ...payload, requestedBy: who.identity };
  const s3Endpoint = v['s3-endpoint'] as string | undefined;
  const dynamoEndpoint = v['dynamodb-endpoint'] as string | undefined;
  const aws: AwsClientOptions = {
    region,
    ...(s3Endpoint || dynamoEndpoint
      ? { endpoints: { ...(s3Endpoint ? { s3: s3Endpoint } : {}), ...(dynamoEndpoint ? { dynamodb: dynamoEndpoint } : {}) } }
      : {}),
    ...(s3Endpoint ? { forcePathStyle: true } : {}),
  };
  const op = createCheckpointOpsOperation({
    onBackupProgress: (p) => io.err(`backup: ${formatCount(p.objects)} objects (${formatBytes(p.bytes)}) copied to ${p.backupUri}`),
  });
  const runtimeEnv = Object.fromEntries(Object.keys(ENV_VARS).map((k) => [k, ''])) as unknown as RuntimeEnv;
  const handle = createOperationHandler(op, {
    config,
    env: { ...runtimeEnv, tableName: (v.table as string | undefined) ?? `${config.name}-ledger` },
    aws,
    clock,
    logger: new Logger({ serviceName: 'checkpoint-ops', logLevel: 'SILENT' }),
    metrics: new Metrics({ serviceName: 'checkpoint-ops' }),
  });
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  let r: OperationInvocationResult;
  try {
    r = await handle(payload, undefined, controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
  print(io, r, v.json === true);
  return r.outcome === 'done' ? 0 : r.outcome === 'partial' ? 3 : r.outcome === 'rejected' ? 2 : 1;
}
