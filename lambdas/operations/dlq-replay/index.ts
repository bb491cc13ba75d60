import { FirehoseAdapter } from '../../adapters/firehose';
import { S3Adapter } from '../../adapters/s3';
import { mskIamProducer, type KafkaProducerPort } from '../../adapters/kafka';
import { isTransient } from '../../adapters/errors';
import type { TypeCounts } from '../../analysis/dlq';
import { InvalidInputError } from '../../core/errors';
import type { Operation, OperationContext, OperationResult } from '../types';
import { parsePredicate, ReplayFilter, type Predicate } from './filter';
import { dlqReplayManifest } from './manifest';
import { authorizeReplay, replayOperationId, replayPayloadSchema, replayTarget, resolveReplay, type ReplayPayload } from './payload';
import { ReplayRun, TargetUnavailableError, type ReplayOutcome, type ReplayProgressView } from './run';
import { firehoseTarget, kafkaTarget, type ReplayTarget } from './targets';

export { dlqReplayManifest } from './manifest';
export { replayPayloadSchema, replayOperationId, resolveReplay, type ReplayPayload, type ReplayPayloadInput } from './payload';
export type { ReplayOutcome, ReplayProgressView } from './run';

export interface DlqReplayOptions {
  /** The producer to the source topic (default: kafkajs with MSK IAM auth, in the function's region). */
  kafkaProducer?(clusterArn: string): KafkaProducerPort;
  /** Called as objects and batches settle (the CLI draws its progress bar from it). */
  onProgress?(v: ReplayProgressView): void;
}

const byType = (c: TypeCounts) =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ') || 'none';

function summarize(p: ReplayPayload, o: ReplayOutcome, target: string): string {
  const objects = `${o.objectsDone}/${o.objectsTotal} object(s) done`;
  if (p.dryRun) {
    return (
      `dry run: ${o.recordsMatched} record(s) match (${byType(o.byErrorType)}), would go to ${target}; ` +
      `${o.recordsFiltered} filtered out, ${o.badLines} bad line(s), ${objects}; nothing was written` +
      (o.stoppedBy ? ` (stopped early: ${o.stoppedBy})` : '')
    );
  }
  const twice =
    o.recordsPossiblyDuplicated > 0
      ? `; ${o.recordsPossiblyDuplicated} record(s) may have been sent twice (an earlier invocation crashed with them in flight: at most one batch per crash; drop copies by their replay id)`
      : '';
  const head =
    `${o.recordsDelivered} record(s) delivered to ${target} (${o.recordsDeliveredTotal} in all), ` +
    `${o.recordsQuarantined} quarantined (${o.recordsQuarantinedTotal} in all), ${o.recordsFiltered} filtered out, ${o.badLines} bad line(s); ${objects}${twice}`;
  return o.stoppedBy ? `${head}; stopped (${o.stoppedBy}): invoke again with continueWith to go on` : head;
}

const resultOf = (p: ReplayPayload, o: ReplayOutcome, target: string, operationId: string): Record<string, unknown> => ({
  operationId,
  dryRun: p.dryRun,
  target,
  ...o,
  byErrorType: { ...o.byErrorType },
});

/**
 * The `dlq-replay` operation. Dry run by default (counts by error type and target, writes
 * nothing); with `dryRun: false, confirm: true` it sends, saving progress per object and line in
 * the ledger so that a repeated or re-invoked replay continues where it stopped.
 */
export function createDlqReplayOperation(opts: DlqReplayOptions = {}): Operation<ReplayPayload> {
  const producerFor = opts.kafkaProducer ?? ((clusterArn: string) => mskIamProducer(clusterArn, { region: process.env.AWS_REGION ?? 'us-east-1' }));
  return {
    manifest: dlqReplayManifest,
    // DLQ objects in S3, the Firehose target (the Kafka producer has its own clients).
    adapters: { s3: S3Adapter, firehose: FirehoseAdapter },
    payload: replayPayloadSchema,
    authorize: authorizeReplay,
    operationId: replayOperationId,
    target: replayTarget,
    async run(p: ReplayPayload, ctx: OperationContext): Promise<OperationResult> {
      const resolved = resolveReplay(p, ctx.config);
      if (!resolved.ok) throw new InvalidInputError(resolved.refusals[0]!.field, resolved.refusals[0]!.message, resolved.refusals);
      const r = resolved.value;
      const where: Predicate[] = (p.where ?? []).map((s) => {
        const x = parsePredicate(s);
        if (!x.ok) throw new InvalidInputError('where', x.error);
        return x.predicate;
      });
      const filter = new ReplayFilter({
        ...(p.from !== undefined ? { fromMs: Date.parse(p.from) } : {}),
        ...(p.to !== undefined ? { toMs: Date.parse(p.to) } : {}),
        ...(p.errorTypes ? { errorTypes: p.errorTypes } : {}),
        ...(p.errorCodes ? { errorCodes: p.errorCodes } : {}),
        where,
      });
      const targetName = r.target.kind === 'firehose' ? `firehose:${r.target.deliveryStreamName}` : `kafka:${r.target.topic}`;
      let target: ReplayTarget | undefined;
      if (!p.dryRun) {
        target =
          r.target.kind === 'firehose'
            ? firehoseTarget(ctx.aws.firehose, r.target.deliveryStreamName)
            : kafkaTarget(producerFor(r.target.clusterArn), r.target.topic, ctx.operationId);
      }
      const run = new ReplayRun(
        {
          root: r.root,
          uri: r.uri,
          format: r.format,
          filter,
          dryRun: p.dryRun,
          ratePerSecond: p.ratePerSecond,
          maxRecords: p.maxRecords,
          maxAttempts: p.maxAttempts,
        },
        {
          store: ctx.aws.s3,
          ledger: ctx.ledger,
          clock: ctx.clock,
          operationId: ctx.operationId,
          signal: ctx.signal,
          remainingMs: ctx.remainingMs,
          targetName,
          ...(target ? { target } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          ...(ctx.lease ? { ensureHeld: () => ctx.lease!.ensure() } : {}),
        },
      );
      try {
        const o = await run.run();
        const partial = o.stoppedBy !== undefined;
        return {
          status: partial ? 'partial' : 'done',
          summary: summarize(p, o, targetName),
          result: resultOf(p, o, targetName, ctx.operationId),
          ...(partial && !p.dryRun ? { continueWith: { ...p } } : {}),
        };
      } catch (e) {
        // The target stayed unavailable, or S3 failed transiently: what was acknowledged is saved.
        if (!(e instanceof TargetUnavailableError) && !isTransient(e)) throw e;
        ctx.logger.error('replay stopped', { error: e as Error });
        return {
          status: 'failed',
          summary: `replay stopped: ${(e as Error).message}; acknowledged records are saved: invoke again with continueWith once the target answers`,
          result: { operationId: ctx.operationId, dryRun: p.dryRun, target: targetName },
          continueWith: { ...p },
        };
      }
    },
  };
}

export const dlqReplayOperation = createDlqReplayOperation();
