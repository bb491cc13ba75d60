import { selectAwsAdapters } from '../adapters/select';
import { InvalidInputError } from '../core/errors';
import type { RuntimeDeps } from '../core/runtime';
import { formatPath } from '../config/path';
import { Ledger } from '../ledger/ledger';
import type { OperationRecord } from '../ledger/types';
import type { RequestedBy } from './caller';
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

/**
 * The handler of a manual operation: validate the payload (errors name the field), refuse what
 * the config does not allow, record the operation in the ledger before and after it runs, and
 * stop cleanly near the Lambda timeout with the payload that continues it. Its adapters are
 * those the operation names, no other.
 */
export function createOperationHandler<P extends { command: string; pipeline?: string }>(op: Operation<P>, deps: Omit<RuntimeDeps, 'fetch'>) {
  const aws = selectAwsAdapters(deps.aws, op.adapters, op.manifest.id);
  const retention = deps.config.ledger.auditRetentionDays;
  const ledger = Ledger.fromOptions(deps.aws, deps.env.tableName, retention !== undefined ? { auditRetentionDays: retention } : {});
  return async function handleOperation(
    event: unknown,
    context?: { getRemainingTimeInMillis?(): number },
    signal: AbortSignal = new AbortController().signal,
  ): Promise<OperationInvocationResult> {
    const parsed = op.payload.safeParse(event);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ field: formatPath(i.path), message: i.code === 'invalid_type' && i.input === undefined ? 'Required' : i.message }));
      deps.logger.warn('operation payload rejected', { errors });
      return { outcome: 'rejected', summary: `invalid payload: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors };
    }
    const p = parsed.data;
    const refusals = op.authorize(p, deps.config);
    const now = deps.clock.now();
    const operationId = op.operationId(p);
    const requestedBy = (p as { requestedBy?: RequestedBy }).requestedBy;
    const who = requestedBy ? { requestedBy } : {};
    if (refusals.length > 0) {
      deps.logger.warn('operation refused', { operationId, refusals, ...who });
      const refused: AttributedOperationRecord = {
        operationId: `${operationId}.refused.${now}`, kind: op.manifest.id, command: p.command, ...(p.pipeline ? { pipeline: p.pipeline } : {}),
        params: p as Record<string, unknown>, status: 'refused', startedAtMs: now, updatedAtMs: now, endedAtMs: now,
        summary: refusals.map((r) => `${r.field}: ${r.message}`).join('; '), version: 0, ...who,
      };
      await ledger.startOperation(refused);
      return { outcome: 'refused', operationId, ...who, summary: `refused: ${refusals.map((r) => `${r.field}: ${r.message}`).join('; ')}`, errors: refusals };
    }
    const started: AttributedOperationRecord = {
      operationId, kind: op.manifest.id, command: p.command, ...(p.pipeline ? { pipeline: p.pipeline } : {}),
      params: p as Record<string, unknown>, status: 'running', startedAtMs: now, updatedAtMs: now, version: 0, ...who,
    };
    const { record } = await ledger.startOperation(started);
    deps.logger.appendKeys({ operationId, ...(requestedBy ? { requestedBy: requestedBy.arn } : {}) });
    try {
      const r = await op.run(p, {
        operationId, config: deps.config, clock: deps.clock, aws, ledger, logger: deps.logger, signal, record,
        remainingMs: () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
      });
      const latest = (await ledger.getOperation(operationId)) ?? record;
      await ledger.saveOperation({ ...latest, status: r.status, summary: r.summary, result: r.result, ...(r.status === 'partial' ? {} : { endedAtMs: deps.clock.now() }) }, deps.clock.now());
      return { outcome: r.status, operationId, ...who, summary: r.summary, result: r.result, ...(r.continueWith ? { continueWith: r.continueWith } : {}) };
    } catch (e) {
      if (e instanceof InvalidInputError) {
        const latest = (await ledger.getOperation(operationId)) ?? record;
        await ledger.saveOperation({ ...latest, status: 'refused', summary: e.message, endedAtMs: deps.clock.now() }, deps.clock.now());
        return { outcome: 'refused', operationId, summary: e.message, errors: e.issues };
      }
      const latest = (await ledger.getOperation(operationId)) ?? record;
      await ledger.saveOperation({ ...latest, status: 'failed', summary: (e as Error).message, endedAtMs: deps.clock.now() }, deps.clock.now());
      deps.logger.error('operation failed', { error: e as Error });
      return { outcome: 'failed', operationId, summary: (e as Error).message };
    }
  };
}
