import { randomUUID } from 'node:crypto';
import { LambdaAdapter } from '../lambdas/adapters/lambda';
import { EngineReason } from '../lambdas/core/decision';
import { functionName } from '../lambdas/core/names';
import { APPROVE_MARKER, DENY_MARKER, incidentParts } from '../lambdas/core/events/operator';
import type { InvocationResult } from '../lambdas/engine/runtime';
import { COMMON_USAGE, context, defaultIo, helped, parse, runCommand, str, UsageError, type CliIo } from './common';
import { whoIsCalling } from './identity';

/**
 * `streamfix approve <incident-id>` / `streamfix deny <incident-id> --reason …`: a person's
 * answer to an incident's request for approval (mode `approve`). The answer, with the caller's
 * identity (STS GetCallerIdentity), is sent to the playbook's function (Lambda Invoke), which
 * records it and, on approval, plans again and acts only if the plan is the one approved.
 * Exit: 0 the fix ran (approve) or the denial is recorded (deny); 1 refused or failed; 2 bad usage.
 */

export const APPROVE_USAGE = `usage: streamfix approve <incident-id> [--request <id>] [--reason <text>]
       streamfix deny <incident-id> --reason <text> [--request <id>]
  <incident-id>                    the incident whose page asks for approval (streamfix incidents --status escalated)
  --request <id>                   the request answered (a1, a2, …; default: the incident's newest)
  --reason <text>                  why (required to deny)
${COMMON_USAGE}`;

export async function approveCommand(verdict: 'approve' | 'deny', args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, APPROVE_USAGE, async () => {
    const { values: v, positionals } = parse(args, { request: { type: 'string' }, reason: { type: 'string' } }, true);
    if (helped(v, io, APPROVE_USAGE)) return 0;
    const [incidentId, ...extra] = positionals;
    if (incidentId === undefined) throw new UsageError('<incident-id>: required');
    if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`);
    const parts = incidentParts(incidentId);
    if (!parts) throw new UsageError(`<incident-id>: "${incidentId}" is not an incident id (such as orders.job-failed.20260101T000300.1a2b3c)`);
    const reason = str(v, 'reason');
    if (verdict === 'deny' && (reason === undefined || reason.trim() === '')) throw new UsageError('--reason: required to deny (say why the fix must not run)');
    const request = str(v, 'request');
    if (request !== undefined && !/^a\d{1,4}$/.test(request)) throw new UsageError(`--request: expected a request id such as a1, got "${request}"`);
    const ctx = await context(v, io);
    if (!(parts.pipeline in ctx.config.pipelines)) throw new UsageError(`<incident-id>: pipeline "${parts.pipeline}" is not in the config`);
    const who = await whoIsCalling(ctx.region, io.callerIdentity);
    if (!who.ok) {
      io.err(who.error);
      return 1;
    }
    const payload = {
      streamfix: verdict === 'approve' ? APPROVE_MARKER : DENY_MARKER,
      incidentId,
      by: who.identity,
      ...(reason !== undefined ? { reason } : {}),
      ...(request !== undefined ? { approvalId: request } : {}),
      nonce: randomUUID(),
    };
    const fn = functionName(ctx.config.name, parts.playbook);
    const invoke = io.invoke ?? ((name: string, p: unknown) => LambdaAdapter.fromOptions(ctx.aws).invoke(name, p));
    const r = (await invoke(fn, payload)) as InvocationResult | undefined;
    const ok = r?.outcome === 'processed' && (verdict === 'approve' ? r.decision?.kind === 'fix' : r.decision?.reason === EngineReason.APPROVAL_DENIED);
    if (ctx.json) io.out(JSON.stringify({ ok, function: fn, by: who.identity.arn, result: r ?? null }, null, 2));
    else if (!r) io.out(`${fn} returned nothing`);
    else if (r.outcome === 'rejected') io.out(`rejected: ${r.error?.field ?? ''}: ${r.error?.message ?? ''}`);
    else if (r.outcome === 'duplicate') io.out(`this answer was already received (incident ${r.incidentId ?? incidentId})`);
    else {
      const d = r.decision;
      const head = ok ? (verdict === 'approve' ? 'approved and applied' : 'denied') : 'refused';
      io.out(`${head}: ${d ? `${d.kind} ${d.reason}: ${d.summary}` : 'no decision'}`);
      if (ok && verdict === 'approve') io.out(`verification follows; see: streamfix incident ${incidentId}`);
    }
    if (r?.outcome === 'rejected') return 2;
    return ok ? 0 : 1;
  });
}
