import { parseArgs } from 'node:util';
import { breakerKey, ItemGuardrailStore, type BreakerState } from '../lambdas/guardrails';
import type { OperationRecord } from '../lambdas/ledger/types';
import { COMMON_OPTIONS, COMMON_OPTIONS_USAGE, defaultIo, type CliIo } from './common';
import { openLedger } from './ledger-context';

/**
 * `streamfix breaker status|reset --pipeline P --playbook K`: an open circuit breaker stops a
 * playbook's automatic fixes for a pipeline until it closes by itself; an operator who fixed
 * the cause closes it at once. The reset is recorded in the ledger as an operation (who, when,
 * why, the state it replaced). Exit code: 0 done, 1 failed, 2 bad arguments.
 */

export const BREAKER_USAGE = `usage: streamfix breaker <status|reset> --pipeline <name> --playbook <id> [options]
  status                           print the breaker: open until when and why, failures in a row, the last fix
  reset                            close it now (recorded in the ledger with who asked and --reason)
    --reason <text>                why (required by reset)
${COMMON_OPTIONS_USAGE}`;

function describe(b: BreakerState, nowMs: number): string {
  const open = b.openUntilMs !== undefined && b.openUntilMs > nowMs;
  return [
    open ? `open until ${new Date(b.openUntilMs!).toISOString()}: ${b.openedReason ?? 'repeated failures'}` : 'closed',
    `${b.consecutiveVerifyFailures} failed verification(s) in a row`,
    b.lastFixAtMs !== undefined
      ? `last fix ${new Date(b.lastFixAtMs).toISOString()}${b.lastFixIncidentId ? ` (${b.lastFixIncidentId})` : ''}`
      : 'no fix recorded',
  ].join('; ');
}

export async function breakerCommand(args: string[], io: CliIo = defaultIo, now: () => number = Date.now): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { pipeline: { type: 'string' }, playbook: { type: 'string' }, reason: { type: 'string' }, ...COMMON_OPTIONS },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${BREAKER_USAGE}`);
    return 2;
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const [command, ...extra] = parsed.positionals;
  if (v.help) {
    io.out(BREAKER_USAGE);
    return 0;
  }
  const problem =
    command !== 'status' && command !== 'reset'
      ? `a command is required: status or reset (got ${command ?? 'nothing'})`
      : extra.length > 0
        ? `unexpected argument(s): ${extra.join(' ')}`
        : !v.pipeline
          ? '--pipeline: required'
          : !v.playbook
            ? '--playbook: required'
            : command === 'reset' && !v.reason
              ? '--reason: required by reset (it is recorded with the reset)'
              : undefined;
  if (problem) {
    io.err(`${problem}\n${BREAKER_USAGE}`);
    return 2;
  }
  const ctx = await openLedger(v, io);
  if ('error' in ctx) {
    io.err(ctx.error);
    return 2;
  }
  const pipeline = v.pipeline as string;
  const playbook = v.playbook as string;
  const p = ctx.config.pipelines[pipeline];
  if (!p) {
    io.err(`--pipeline: no pipeline "${pipeline}" in the config (known: ${Object.keys(ctx.config.pipelines).join(', ')})`);
    return 2;
  }
  if (!(playbook in (p.playbooks as Record<string, unknown>))) {
    io.err(`--playbook: no playbook "${playbook}" for pipeline ${pipeline} (known: ${Object.keys(p.playbooks).join(', ')})`);
    return 2;
  }
  const store = new ItemGuardrailStore(ctx.ledger.store);
  const key = breakerKey(pipeline, playbook);
  try {
    const before = await store.readBreaker(key);
    const t = now();
    if (command === 'status') {
      io.out(v.json ? JSON.stringify({ pipeline, playbook, breaker: before }, null, 2) : `${pipeline}/${playbook}: ${describe(before, t)}`);
      return 0;
    }
    // Closed, its counters and the last fix forgotten: the operator judged the cause fixed.
    await store.writeBreaker(key, { consecutiveVerifyFailures: 0 });
    const record: OperationRecord = {
      operationId: `breaker.${pipeline}.${playbook}.${new Date(t).toISOString().replace(/[-:.]/g, '')}`,
      kind: 'breaker',
      command: 'reset',
      pipeline,
      params: { playbook, reason: v.reason as string, requestedBy: ctx.identity },
      status: 'done',
      startedAtMs: t,
      updatedAtMs: t,
      endedAtMs: t,
      summary: `breaker of ${pipeline}/${playbook} reset by ${ctx.identity.arn}: ${v.reason as string}`,
      result: { before: describe(before, t) },
      version: 0,
    };
    await ctx.ledger.operations.start(record);
    io.out(v.json ? JSON.stringify(record, null, 2) : `${record.summary}\n  was: ${describe(before, t)}`);
    return 0;
  } catch (e) {
    io.err(`breaker ${command} failed: ${(e as Error).message}`);
    return 1;
  }
}
