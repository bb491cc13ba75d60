import { randomUUID } from 'node:crypto';
import { selectAwsAdapters } from '../adapters/select';
import { InvalidInputError } from '../core/errors';
import { LeaseLostError } from '../core/lease';
import type { RuntimeDeps } from '../engine/runtime';
import { formatPath } from '../util/format-path';
import { dynamoLedger } from '../engine/dynamo-ledger';
import type { OperationRecord } from '../ledger/types';
import type { RequestedBy } from './caller';
import { takeTarget, type HeldTarget } from './target-lease';
import type { Operation } from './types';

/** The operation record with who asked for it (kept as a field of the record's document). */
export type AttributedOperationRecord = OperationRecord & { requestedBy?: RequestedBy };

export interface OperationInvocationResult {
  outcome: 'done' | 'partial' | 'failed' | 'refused' | 'rejected';
  operationId?: string;
  /** Who asked for this invocation, as the payload says (absent: not stated). */
  requestedBy?: RequestedBy;
  summary: string;
  result?: Record<string, unknown>;
  continueWith?: Record<string, unknown>;
  errors?: { field: string; message: string }[];
}

/** The part of Lambda's context an operation uses (the CLI passes none). */
export interface OperationInvocationContext {
  /** Lambda's retry of an attempt that died keeps it: the retry takes the attempt's target over at once. */
  awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/**
 * The handler of a manual operation: validate the payload (errors name the field), refuse what
 * the config does not allow, take the operation's target (one run per target at a time: a
 * fenced lease, target-lease.ts; refused while another run holds it), record the operation in
 * the ledger before and after it runs, and stop cleanly near the Lambda timeout with the payload
 * that continues it. Only the target's holder continues an operation record. Its adapters are
 * those the operation names, no other.
 */
export function createOperationHandler<P extends { command: string; pipeline?: string }>(op: Operation<P>, deps: Omit<RuntimeDeps, 'fetch'>) {
  const aws = selectAwsAdapters(deps.aws, op.adapters, op.manifest.id);
  const retention = deps.config.ledger.auditRetentionDays;
  const ledger = dynamoLedger(deps.aws, deps.env.tableName, retention !== undefined ? { auditRetentionDays: retention } : {});
  return async function handleOperation(
    event: unknown,
    context?: OperationInvocationContext,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<OperationInvocationResult> {
    const parsed = op.payload.safeParse(event);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({
        field: formatPath(i.path),
        message: i.code === 'invalid_type' && i.input === undefined ? 'Required' : i.message,
      }));
      deps.logger.warn('operation payload rejected', { errors });
      return { outcome: 'rejected', summary: `invalid payload: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors };
    }
    const p = parsed.data;
    const refusals = op.authorize(p, deps.config);
    const now = deps.clock.now();
    const operationId = op.operationId(p);
    const requestedBy = (p as { requestedBy?: RequestedBy }).requestedBy;
    const who = requestedBy ? { requestedBy } : {};
    /** The ledger's record of a refused run: ended as it started, with why. */
    const refusedRecord = (summary: string, result?: Record<string, unknown>): AttributedOperationRecord => ({
      operationId: `${operationId}.refused.${now}`,
      kind: op.manifest.id,
      command: p.command,
      ...(p.pipeline ? { pipeline: p.pipeline } : {}),
      params: p as Record<string, unknown>,
      status: 'refused',
      startedAtMs: now,
      updatedAtMs: now,
      endedAtMs: now,
      summary,
      ...(result ? { result } : {}),
      version: 0,
      ...who,
    });
    if (refusals.length > 0) {
      deps.logger.warn('operation refused', { operationId, refusals, ...who });
      await ledger.startOperation(refusedRecord(refusals.map((r) => `${r.field}: ${r.message}`).join('; ')));
      return { outcome: 'refused', operationId, ...who, summary: `refused: ${refusals.map((r) => `${r.field}: ${r.message}`).join('; ')}`, errors: refusals };
    }
    const requestId = context?.awsRequestId ?? randomUUID();
    const remaining = context?.getRemainingTimeInMillis?.();
    const target = op.target?.(p, deps.config);
    let held: HeldTarget | undefined;
    if (target) {
      const taken = await takeTarget(ledger, deps.clock, target, {
        operationId,
        requestId,
        command: p.command,
        deadlineMs: remaining === undefined ? Number.POSITIVE_INFINITY : now + remaining,
        ...(requestedBy ? { requestedBy: requestedBy.arn } : {}),
      });
      if (!taken.ok) {
        deps.logger.warn('operation refused: its target is held by another run', { operationId, target: target.key, holder: taken.holder, ...who });
        await ledger.startOperation(refusedRecord(`${target.field}: ${taken.message}`, { holder: { ...taken.holder } }));
        return {
          outcome: 'refused',
          operationId,
          ...who,
          summary: `refused: ${taken.message}`,
          result: { holder: { ...taken.holder } },
          errors: [{ field: target.field, message: taken.message }],
        };
      }
      held = taken.held;
    }
    try {
      return await runHeld(held);
    } finally {
      await held?.release();
    }

    async function runHeld(h: HeldTarget | undefined): Promise<OperationInvocationResult> {
      const started: AttributedOperationRecord = {
        operationId,
        kind: op.manifest.id,
        command: p.command,
        ...(p.pipeline ? { pipeline: p.pipeline } : {}),
        params: p as Record<string, unknown>,
        status: 'running',
        startedAtMs: now,
        updatedAtMs: now,
        version: 0,
        ...who,
      };
      const { record } = await ledger.startOperation(started);
      deps.logger.appendKeys({ operationId, ...(requestedBy ? { requestedBy: requestedBy.arn } : {}) });
      // Another run took the target over (this one could not renew its lease): it owns the record now.
      const lost = (): OperationInvocationResult | undefined =>
        h?.lease.lost ? { outcome: 'failed', operationId, ...who, summary: `stopped: ${h.lease.lost}; this run changed nothing more once it knew` } : undefined;
      const save = async (next: Partial<OperationRecord>) => {
        const latest = (await ledger.getOperation(operationId)) ?? record;
        await ledger.saveOperation({ ...latest, ...next }, deps.clock.now());
      };
      try {
        const r = await op.run(p, {
          operationId,
          config: deps.config,
          clock: deps.clock,
          aws,
          ledger,
          logger: deps.logger,
          record,
          requestId,
          signal: h ? AbortSignal.any([signal, h.lease.signal]) : signal,
          remainingMs: () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
          ...(h ? { lease: h.lease } : {}),
        });
        const gone = lost();
        if (gone) return gone;
        await save({ status: r.status, summary: r.summary, result: r.result, ...(r.status === 'partial' ? {} : { endedAtMs: deps.clock.now() }) });
        return { outcome: r.status, operationId, ...who, summary: r.summary, result: r.result, ...(r.continueWith ? { continueWith: r.continueWith } : {}) };
      } catch (e) {
        const gone = lost();
        if (gone) {
          deps.logger.warn('operation stopped: its target is held by another run now', { error: e as Error });
          return gone;
        }
        if (e instanceof LeaseLostError) {
          // Still this run's, but too close to the deadline to start another change: the next invocation goes on.
          const summary = `stopped before the deadline (${e.message}); what was done is saved: invoke again with continueWith`;
          await save({ status: 'partial', summary });
          return { outcome: 'partial', operationId, ...who, summary, continueWith: { ...(p as Record<string, unknown>) } };
        }
        if (e instanceof InvalidInputError) {
          await save({ status: 'refused', summary: e.message, endedAtMs: deps.clock.now() });
          return { outcome: 'refused', operationId, summary: e.message, errors: e.issues };
        }
        await save({ status: 'failed', summary: (e as Error).message, endedAtMs: deps.clock.now() });
        deps.logger.error('operation failed', { error: e as Error });
        return { outcome: 'failed', operationId, summary: (e as Error).message };
      }
    }
  };
}
