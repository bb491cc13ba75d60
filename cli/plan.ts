import { createAwsAdapters } from '../lambdas/adapters';
import { readOnlyPlugin } from '../lambdas/adapters/read-only';
import type { AlarmDetailView } from '../lambdas/adapters/cloudwatch';
import type { Decision, Evidence } from '../lambdas/core/decision';
import { pauseParameterName, pipelinePauseParameterPrefix } from '../lambdas/core/names';
import type { PlaybookContext, PlaybookSettings } from '../lambdas/core/playbook';
import { alarmTriggerOf } from '../lambdas/engine/resume';
import type { AlarmTrigger } from '../lambdas/core/trigger';
import { wirePlaybook, type WiredAlarm } from '../lambdas/wiring';
import { Guardrails, ItemGuardrailStore, PauseReader, type GateVerdict } from '../lambdas/guardrails';
import { dynamoLedger } from '../lambdas/engine/dynamo-ledger';
import { playbooks } from '../lambdas/playbooks/registry';
import { COMMON_USAGE, context, defaultIo, describeError, helped, parse, pipelineOf, runCommand, str, UsageError, type CliIo } from './common';

/**
 * `streamfix plan --pipeline P [--playbook K]`: "what would you do now?" against the live account
 * with your credentials (Cloud Custodian's dry run). Each playbook of the pipeline diagnoses its
 * alarm that is in ALARM (or, when none is, as if its first alarm fired now) and plans; a fix is
 * put through the guardrails as a judgment only. Every SDK client carries the read-only plugin:
 * nothing is written, not even the ledger.
 */

export const PLAN_USAGE = `usage: streamfix plan --pipeline <name> [--playbook <id>]
  --pipeline <name>                the pipeline to look at
  --playbook <id>                  one playbook (default: every playbook of the pipeline)
${COMMON_USAGE}`;

export interface PlanReport {
  playbook: string;
  mode: string;
  subject?: string;
  evidence?: Evidence;
  decision?: Decision;
  /** The guardrails' judgment of a fix: ok, or the stage that refuses and why. */
  guardrails?: { ok: true } | { ok: false; stage: string; reason: string; summary: string };
  note?: string;
  error?: string;
}

/** As if `a` had just gone to ALARM: the alarm event streamfix would have received. */
function asIfFiring(a: WiredAlarm, nowMs: number): AlarmTrigger {
  const m = a.spec.metric;
  return alarmTriggerOf(
    {
      name: a.name,
      state: 'ALARM',
      reason: 'streamfix plan: as if this alarm went to ALARM now',
      composite: false,
      stateUpdatedMs: nowMs,
      metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.statistic, periodSeconds: m.periodSeconds },
    },
    nowMs,
    `plan:${a.name}`,
  );
}

const verdictOf = (v: GateVerdict): PlanReport['guardrails'] => (v.ok ? { ok: true } : { ok: false, stage: v.stage, reason: v.reason, summary: v.summary });

function print(r: PlanReport): string[] {
  const out = [`${r.playbook} (mode ${r.mode})`];
  if (r.note) out.push(`  ${r.note}`);
  if (r.subject) out.push(`  looking at: ${r.subject}`);
  if (r.error) out.push(`  diagnosis failed: ${r.error}`);
  if (r.evidence) {
    out.push('  evidence');
    const entries = Object.entries(r.evidence).filter(([, v]) => v !== undefined && typeof v !== 'object');
    out.push(...(entries.length === 0 ? ['    none'] : entries.map(([k, v]) => `    ${k}: ${String(v)}`)));
  }
  const d = r.decision;
  if (d) {
    out.push(`  decision: ${d.kind} ${d.reason}: ${d.summary}`);
    if (d.kind === 'fix') for (const a of d.actions) out.push(`    would: ${a.description}`);
    if (d.kind === 'recheck') out.push(`    would look again in ${d.afterSeconds} s`);
    if (d.kind === 'escalate')
      out.push(`    would page (${d.severity}): ${d.recommendation.summary}${d.recommendation.command ? `\n    command: ${d.recommendation.command}` : ''}`);
  }
  if (r.guardrails)
    out.push(
      `  guardrails: ${r.guardrails.ok ? 'the fix would pass every guardrail now' : `refused at ${r.guardrails.stage} (${r.guardrails.reason}): ${r.guardrails.summary}`}`,
    );
  return out;
}

export async function planCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, PLAN_USAGE, async () => {
    const { values: v } = parse(args, { pipeline: { type: 'string' }, playbook: { type: 'string' } });
    if (helped(v, io, PLAN_USAGE)) return 0;
    const ctx = await context(v, io);
    const pipelineName = pipelineOf(ctx.config, str(v, 'pipeline'), true)!;
    const pipeline = ctx.config.pipelines[pipelineName]!;
    const only = str(v, 'playbook');
    const applicable = Object.values(playbooks).filter((p) => p.manifest.appliesTo(pipeline));
    if (only !== undefined && !applicable.some((p) => p.manifest.id === only)) {
      throw new UsageError(`--playbook: "${only}" is not a playbook of pipeline ${pipelineName} (it has ${applicable.map((p) => p.manifest.id).join(', ')})`);
    }
    // Every client refuses anything but reads.
    const aws = { ...ctx.aws, plugins: [readOnlyPlugin(), ...(ctx.aws.plugins ?? [])] };
    const adapters = createAwsAdapters(aws);
    const ledger = dynamoLedger(aws, ctx.table);
    const pause = new PauseReader(
      adapters.ssm,
      ctx.clock,
      { global: pauseParameterName(ctx.config.name), pipelinePrefix: pipelinePauseParameterPrefix(ctx.config.name) },
      0,
    );
    const guardrails = new Guardrails(new ItemGuardrailStore(ledger.store), pause);
    const env = { account: ctx.config.account ?? '', region: ctx.region, partition: 'aws' };
    const reports: PlanReport[] = [];
    for (const playbook of applicable.filter((p) => only === undefined || p.manifest.id === only)) {
      const id = playbook.manifest.id;
      const settings = (pipeline.playbooks as Record<string, PlaybookSettings>)[id]!;
      const report: PlanReport = { playbook: id, mode: settings.mode };
      reports.push(report);
      if (settings.mode === 'off') {
        report.note = 'off for this pipeline: it would record and ignore';
        continue;
      }
      const alarms = wirePlaybook(ctx.config, playbook.manifest, env).alarms.filter((a) => a.pipeline === pipelineName);
      if (alarms.length === 0) {
        report.note = 'no alarm of this playbook watches the pipeline (it starts on job-run events only): nothing to evaluate';
        continue;
      }
      const now = ctx.clock.now();
      let described: AlarmDetailView[] = [];
      try {
        described = await adapters.cloudwatch.describeAlarms(alarms.map((a) => a.name));
      } catch (e) {
        report.note = `could not read the alarms (${describeError(e)}): evaluating as if ${alarms[0]!.name} fired now`;
      }
      const firing = described.find((a) => a.state === 'ALARM');
      const subject = firing ? alarmTriggerOf(firing, now, `plan:${firing.name}`) : asIfFiring(alarms[0]!, now);
      report.subject = firing
        ? `alarm ${firing.name}, in ALARM since ${new Date(firing.stateUpdatedMs ?? now).toISOString()}`
        : `alarm ${alarms[0]!.name} as if it went to ALARM now (none of ${alarms.length} alarm(s) is in ALARM)`;
      const pctx: PlaybookContext = {
        pipelineName,
        pipeline,
        settings,
        config: ctx.config,
        clock: ctx.clock,
        aws: adapters,
        incidentId: `${pipelineName}.${id}.plan`,
        signal: new AbortController().signal,
        history: { actionsInLastHour: (resource) => guardrails.actionsInLastHour(resource, ctx.clock.now()) },
      };
      try {
        const evidence = (await playbook.diagnose(pctx, subject)) as Evidence;
        report.evidence = evidence;
        const decision = playbook.plan({ pipelineName, pipeline, settings, trigger: subject, evidence, nowMs: ctx.clock.now(), incidentId: pctx.incidentId });
        report.decision = decision;
        report.evidence = decision.evidence;
        if (decision.kind === 'fix') {
          const defs = new Map(playbook.actions.map((a) => [a.type, a]));
          report.guardrails = verdictOf(
            await guardrails.gate({
              pipelineName,
              pipeline,
              playbook: id,
              settings,
              owner: 'streamfix-plan',
              nowMs: ctx.clock.now(),
              lockUntilMs: ctx.clock.now(),
              continuing: false,
              dryRun: true,
              actions: decision.actions.map((action) => ({ action, def: defs.get(action.type), started: false })),
            }),
          );
        }
      } catch (e) {
        report.error = describeError(e);
      }
    }
    if (ctx.json) io.out(JSON.stringify({ pipeline: pipelineName, readOnly: true, playbooks: reports }, null, 2));
    else io.out([`plan for ${pipelineName} (read-only: nothing is written)`, ...reports.flatMap((r) => ['', ...print(r)])].join('\n'));
    return reports.some((r) => r.error !== undefined) ? 1 : 0;
  });
}
