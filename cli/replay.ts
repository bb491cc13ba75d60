import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mskIamProducer } from '../lambdas/adapters/kafka';
import type { AwsClientOptions } from '../lambdas/adapters/clients';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { systemClock } from '../lambdas/core/clock';
import { ENV_VARS, type RuntimeEnv } from '../lambdas/core/env';
import { createDlqReplayOperation, type ReplayPayloadInput, type ReplayProgressView } from '../lambdas/operations/dlq-replay';
import { createOperationHandler } from '../lambdas/operations/runtime';
import { loadConfigFile, isUserConfigError } from '../lib/config-file';
import type { CallerIdentity } from '../lambdas/adapters/sts';
import { whoIsCalling } from './identity';
import { formatBytes, formatCount, ProgressBar, type BarStream } from './progress-bar';

/**
 * `streamfix replay …`: the dlq-replay operation run in-process with your credentials (the
 * default AWS credential chain), against the ledger table of the deployed stack. A dry run
 * unless `--execute`. Exit code: 0 done, 3 stopped early (run it again to continue), 1 failed
 * or refused, 2 bad arguments (also when the operation rejects a field of the payload).
 */

export const REPLAY_USAGE = `usage: streamfix replay --pipeline <name> [options]
  --source dlq|firehose-errors   what to replay (default dlq: the pipeline's DLQ envelope)
  --prefix s3://bucket/prefix/   narrow to a prefix under the configured one
  --from <ISO-8601>              failures at or after this time
  --to <ISO-8601>                failures at or before this time
  --error-types a,b              parse_error, validation_error, duplicate, timeout, external_api_error, other
  --error-codes a,b              exact writer codes (error_type as written, Firehose errorCode)
  --where <predicate>            field=value, field!=value, field~regex, field!~regex (repeatable; all must hold)
  --target kafka|firehose        the pipeline's source topic or Firehose stream (default: by source)
  --rate <records/s>             default 500
  --max-records <n>              per run (default 100000)
  --max-attempts <n>             sends of a failing record before quarantine (default 5)
  --replay-id <id>               a new id replays the same selection again
  --execute                      send for real (default: dry run, counts only)
  --config <file>                default streamfix.config.ts
  --region <region>              default: the config's region, then AWS_REGION
  --table <name>                 ledger table (default <config name>-ledger)
  --s3-endpoint <url>            a local stand-in for S3 (path-style)
  --dynamodb-endpoint <url>      a local stand-in for DynamoDB
  --json                         print the result as JSON`;

export interface ReplayCliIo {
  out(text: string): void;
  err(text: string): void;
  progress: BarStream;
  loadConfig?(path: string): Promise<StreamfixConfig>;
  env?: NodeJS.ProcessEnv;
  /** Who runs it (default: STS GetCallerIdentity of the default credential chain). */
  callerIdentity?(): Promise<CallerIdentity>;
}

const defaultIo: ReplayCliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  progress: process.stderr,
};

const list = (s: string | undefined) =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
const number = (s: string | undefined, name: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${s}`);
  return n;
};

/** The operation payload the arguments describe (validated by the operation itself). */
export function replayPayloadFromArgs(v: Record<string, string | boolean | string[] | undefined>): ReplayPayloadInput {
  const s = (k: string) => v[k] as string | undefined;
  const execute = v.execute === true;
  const rate = number(s('rate'), 'rate');
  const maxRecords = number(s('max-records'), 'max-records');
  const maxAttempts = number(s('max-attempts'), 'max-attempts');
  return {
    command: 'replay',
    pipeline: s('pipeline') ?? '',
    source: { kind: (s('source') ?? 'dlq') as 'dlq' | 'firehose-errors', ...(s('prefix') ? { s3: s('prefix')! } : {}) },
    ...(s('from') ? { from: s('from')! } : {}),
    ...(s('to') ? { to: s('to')! } : {}),
    ...(list(s('error-types')) ? { errorTypes: list(s('error-types')) as never } : {}),
    ...(list(s('error-codes')) ? { errorCodes: list(s('error-codes'))! } : {}),
    ...(Array.isArray(v.where) && v.where.length ? { where: v.where } : {}),
    target: s('target') ? { kind: s('target') as 'kafka' | 'firehose' } : {},
    dryRun: !execute,
    confirm: execute,
    ...(rate !== undefined ? { ratePerSecond: rate } : {}),
    ...(maxRecords !== undefined ? { maxRecords } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...(s('replay-id') ? { replayId: s('replay-id')! } : {}),
  };
}

export async function replayCommand(args: string[], io: ReplayCliIo = defaultIo): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      strict: true,
      options: {
        pipeline: { type: 'string' },
        source: { type: 'string' },
        prefix: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'error-types': { type: 'string' },
        'error-codes': { type: 'string' },
        where: { type: 'string', multiple: true },
        target: { type: 'string' },
        rate: { type: 'string' },
        'max-records': { type: 'string' },
        'max-attempts': { type: 'string' },
        'replay-id': { type: 'string' },
        execute: { type: 'boolean' },
        config: { type: 'string' },
        region: { type: 'string' },
        table: { type: 'string' },
        's3-endpoint': { type: 'string' },
        'dynamodb-endpoint': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    io.err(`${(e as Error).message}\n${REPLAY_USAGE}`);
    return 2;
  }
  if (v.help) {
    io.out(REPLAY_USAGE);
    return 0;
  }
  let payload: ReplayPayloadInput;
  let config: StreamfixConfig;
  try {
    payload = replayPayloadFromArgs(v);
    config = await (io.loadConfig ?? ((p: string) => loadConfigFile(p)))(v.config ?? 'streamfix.config.ts');
  } catch (e) {
    io.err(isUserConfigError(e) ? e.message : `${(e as Error).message}\n${REPLAY_USAGE}`);
    return 2;
  }
  if (payload.pipeline !== '' && !(payload.pipeline in config.pipelines)) {
    io.err(`--pipeline: unknown pipeline "${payload.pipeline}" (the config has ${Object.keys(config.pipelines).join(', ')})\n${REPLAY_USAGE}`);
    return 2;
  }
  const env = io.env ?? process.env;
  const region = v.region ?? config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
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
  const aws: AwsClientOptions = {
    region,
    ...(v['s3-endpoint'] || v['dynamodb-endpoint']
      ? { endpoints: { ...(v['s3-endpoint'] ? { s3: v['s3-endpoint'] } : {}), ...(v['dynamodb-endpoint'] ? { dynamodb: v['dynamodb-endpoint'] } : {}) } }
      : {}),
    ...(v['s3-endpoint'] ? { forcePathStyle: true } : {}),
  };
  const bar = new ProgressBar(io.progress);
  const started = Date.now();
  const state = (p: ReplayProgressView) => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const sent = payload.dryRun === false ? p.recordsDelivered : p.recordsMatched;
    return {
      done: p.bytesDone,
      total: p.bytesTotal,
      label:
        `${p.objectsDone}/${p.objectsTotal} objects ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} ` +
        `${formatCount(sent)} ${payload.dryRun === false ? 'sent' : 'matched'} (${formatCount(Math.round(sent / seconds))}/s)` +
        (p.recordsQuarantined ? ` ${formatCount(p.recordsQuarantined)} quarantined` : ''),
    };
  };
  let last: ReplayProgressView | undefined;
  const op = createDlqReplayOperation({
    kafkaProducer: (clusterArn) => mskIamProducer(clusterArn, aws),
    onProgress: (p) => {
      last = p;
      bar.update(state(p));
    },
  });
  const runtimeEnv = Object.fromEntries(Object.keys(ENV_VARS).map((k) => [k, ''])) as unknown as RuntimeEnv;
  const handle = createOperationHandler(op, {
    config,
    env: { ...runtimeEnv, tableName: v.table ?? `${config.name}-ledger` },
    aws,
    clock: systemClock,
    logger: new Logger({ serviceName: 'dlq-replay', logLevel: 'SILENT' }),
    metrics: new Metrics({ serviceName: 'dlq-replay' }),
  });
  // Ctrl-C stops at the next record: the batch in flight settles and the progress is saved.
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  let r;
  try {
    r = await handle(payload, undefined, controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (last) bar.finish(state(last));
  if (v.json) io.out(JSON.stringify(r, null, 2));
  else {
    io.out(`${r.outcome}: ${withoutOutcome(r.outcome, r.summary)}`);
    if (r.outcome === 'partial') io.out(`run the same command again to continue (operation ${r.operationId})`);
    if (payload.dryRun !== false && (r.outcome === 'done' || r.outcome === 'partial')) io.out('this was a dry run: add --execute to send');
  }
  return r.outcome === 'done' ? 0 : r.outcome === 'partial' ? 3 : r.outcome === 'rejected' ? 2 : 1;
}

/** The summary without the outcome it may already start with (`refused: refused: …` said once). */
export const withoutOutcome = (outcome: string, summary: string): string => (summary.startsWith(`${outcome}: `) ? summary.slice(outcome.length + 2) : summary);
