import { parseArgs } from 'node:util';
import { LambdaAdapter } from '../lambdas/adapters/lambda';
import type { DeadLetterRecord } from '../lambdas/ledger/types';
import { COMMON_OPTIONS, COMMON_OPTIONS_USAGE, defaultIo, type CliIo } from './common';
import { openLedger, type LedgerContext } from './ledger-context';

/**
 * `streamfix redrive`: once the cause of a dead letter is fixed, send its event to its function
 * again (Lambda Invoke, RequestResponse), through the same engine as any delivery, dedupe
 * included: an event whose incident has ended since is only noted. Each redriven dead letter is
 * marked in the ledger with who redrove it and the function's answer. Exit code: 0 all redriven
 * (or nothing to do), 1 one or more failed, 2 bad arguments.
 */

export const REDRIVE_USAGE = `usage: streamfix redrive [options]
  --id <id>                        only this dead letter (repeatable); default every pending one
  --dry-run                        list what would be redriven, send nothing
  --lambda-endpoint <url>          a local stand-in for Lambda
${COMMON_OPTIONS_USAGE}`;

interface Outcome {
  id: string;
  functionArn?: string;
  source: DeadLetterRecord['source'];
  incidentId?: string;
  result: 'redriven' | 'would redrive' | 'failed' | 'skipped';
  detail: string;
}

async function redriveOne(d: DeadLetterRecord, ctx: LedgerContext, invoke: NonNullable<CliIo['invoke']>, dryRun: boolean): Promise<Outcome> {
  const base = { id: d.id, source: d.source, ...(d.functionArn ? { functionArn: d.functionArn } : {}), ...(d.incidentId ? { incidentId: d.incidentId } : {}) };
  if (!d.functionArn) return { ...base, result: 'skipped', detail: 'the dead letter does not name its function' };
  if (dryRun) return { ...base, result: 'would redrive', detail: `${d.error.type}: ${d.error.message}` };
  try {
    const answer = (await invoke(d.functionArn, d.event)) as { outcome?: string; decision?: { reason?: string } } | undefined;
    const outcome = `${answer?.outcome ?? 'answered'}${answer?.decision?.reason ? ` ${answer.decision.reason}` : ''}`;
    const marked = await ctx.ledger.deadLetters.markRedriven(d, ctx.identity.arn, Date.now(), outcome);
    return { ...base, result: 'redriven', detail: marked ? outcome : `${outcome} (someone else marked it redriven meanwhile)` };
  } catch (e) {
    // A function that threw again is a FunctionFailedError naming its error type and message.
    return { ...base, result: 'failed', detail: (e as Error).message };
  }
}

export async function redriveCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { id: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, 'lambda-endpoint': { type: 'string' }, ...COMMON_OPTIONS },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${REDRIVE_USAGE}`);
    return 2;
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v.help) {
    io.out(REDRIVE_USAGE);
    return 0;
  }
  const ctx = await openLedger(v, io);
  if ('error' in ctx) {
    io.err(ctx.error);
    return 2;
  }
  let pending: DeadLetterRecord[];
  try {
    pending = await ctx.ledger.deadLetters.list('pending');
  } catch (e) {
    io.err(`cannot read the dead letters from the ledger: ${(e as Error).message}`);
    return 1;
  }
  const ids = (v.id as string[] | undefined) ?? [];
  const unknown = ids.filter((id) => !pending.some((d) => d.id === id));
  if (unknown.length > 0) {
    io.err(`--id: no pending dead letter ${unknown.join(', ')} (pending: ${pending.map((d) => d.id).join(', ') || 'none'})`);
    return 2;
  }
  const chosen = ids.length > 0 ? pending.filter((d) => ids.includes(d.id)) : pending;
  const endpoint = v['lambda-endpoint'] as string | undefined;
  let lambda: LambdaAdapter | undefined;
  const invoke =
    io.invoke ??
    ((arn: string, event: unknown) =>
      (lambda ??= LambdaAdapter.fromOptions({ ...ctx.aws, ...(endpoint ? { endpoints: { ...ctx.aws.endpoints, lambda: endpoint } } : {}) })).invoke(
        arn,
        event,
      ));
  const outcomes: Outcome[] = [];
  // One at a time: a redriven event may lead its function to act; the next one then sees that.
  for (const d of chosen) outcomes.push(await redriveOne(d, ctx, invoke, v['dry-run'] === true));
  if (v.json) io.out(JSON.stringify({ redriven: outcomes }, null, 2));
  else if (outcomes.length === 0) io.out('no pending dead letters');
  else
    for (const o of outcomes)
      io.out(`${o.result}: ${o.id} (${o.source}${o.incidentId ? `, incident ${o.incidentId}` : ''}) → ${o.functionArn ?? '?'}: ${o.detail}`);
  return outcomes.some((o) => o.result === 'failed' || o.result === 'skipped') ? 1 : 0;
}
