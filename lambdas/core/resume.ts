import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AlarmDetailView } from '../adapters/cloudwatch';
import type { IncidentRecord } from '../ledger/types';
import { EngineReason } from './decision';
import type { EngineDeps } from './incident';
import type { PlaybookSettings } from './playbook';
import type { Router } from './router';
import type { InvocationContext, InvocationResult } from './runtime';
import type { AlarmTrigger, JobRunTrigger, ResumeTrigger } from './trigger';

/** Re-evaluations stop with less than this left of the invocation (the rest is the next resume's). */
const RESUME_MARGIN_MS = 60_000;

type Dispatch = (t: AlarmTrigger | JobRunTrigger, pipeline: string, ctx: InvocationContext, signal?: AbortSignal) => Promise<InvocationResult>;

/**
 * A lifted pause re-evaluates what it held. An alarm that went to ALARM during the pause stays
 * in ALARM and sends no new event, so without this the pipeline would never be looked at again.
 * Started by the pause parameters' "Parameter Store Change" events (best effort) and by
 * `streamfix resume` (explicit); both reach each playbook function, which re-evaluates its own:
 *
 *  1. the pipelines this resume concerns that are no longer paused (read afresh);
 *  2. every alarm of the playbook on those pipelines still in ALARM (DescribeAlarms), as a fresh
 *     alarm trigger;
 *  3. every open incident of those pipelines held by the pause (its last decision PAUSED) and
 *     not already reached through an alarm, with its own first trigger.
 *
 * Each goes through the same engine and dedupe as any trigger. Its dedupe key names the pause
 * parameters' versions: the parameter's event and `streamfix resume` for one lift of the pause
 * re-evaluate each alarm once between them, and a later pause and resume does so again.
 */
export class Resumer {
  constructor(
    private readonly d: EngineDeps,
    private readonly router: Router,
    private readonly dispatch: Dispatch,
  ) {}

  /** The pipelines of this playbook the trigger concerns (before reading the pause switches). */
  concerned(t: ResumeTrigger): string[] {
    const { config, env, playbook } = this.d;
    const served = Object.entries(config.pipelines)
      .filter(([, p]) => playbook.manifest.appliesTo(p) && ((p.playbooks as Record<string, PlaybookSettings | undefined>)[playbook.manifest.id]?.mode ?? 'off') !== 'off')
      .map(([name]) => name);
    if (t.source === 'operator') return t.pipeline === undefined ? served : served.filter((p) => p === t.pipeline);
    const name = t.parameterName ?? '';
    if (name === env.pauseParameter) return served;
    if (name.startsWith(env.pipelinePauseParameterPrefix)) {
      const p = name.slice(env.pipelinePauseParameterPrefix.length);
      return served.filter((s) => s === p);
    }
    return [];
  }

  async resume(t: ResumeTrigger, ctx: InvocationContext, signal?: AbortSignal): Promise<InvocationResult> {
    const { config, env, guardrails, aws, ledger, logger, metrics, playbook, clock } = this.d;
    const done = (summary: string, reason = 'RESUME'): InvocationResult => ({ outcome: 'processed', decision: { kind: 'ignore', reason, summary } });
    const concerned = this.concerned(t);
    if (concerned.length === 0) return done(`${playbook.manifest.id} serves no pipeline this resume concerns`);
    // The switch was just changed: read it now, not from the cache.
    guardrails.refreshPause();
    const states = await Promise.all(concerned.map((p) => guardrails.checkPause(p, config.pipelines[p]!)));
    const lifted = concerned.filter((_, i) => !states[i]!.paused);
    if (lifted.length === 0) return done(`still paused (${states.map((s) => `${s.scope}: ${s.reason}`).join('; ')}): nothing to re-evaluate`, EngineReason.PAUSED);

    const names = [env.pauseParameter, ...lifted.map((p) => `${env.pipelinePauseParameterPrefix}${p}`)];
    const [versions, alarms, open] = await Promise.all([
      aws.ssm.describeParameters(names),
      aws.cloudwatch.describeAlarms(this.router.alarmsOf(lifted).map((a) => a.alarmName)),
      ledger.incidents.listOpen(playbook.manifest.id),
    ]);
    const mark = names.map((n) => versions[n]?.version ?? 0).join('.');
    const routeOf = new Map(this.router.alarmsOf(lifted).map((a) => [a.alarmName, a.pipeline]));
    const work: { trigger: AlarmTrigger | JobRunTrigger; pipeline: string }[] = [];
    for (const a of alarms.filter((x) => x.state === 'ALARM').sort((x, y) => x.name.localeCompare(y.name))) {
      const pipeline = routeOf.get(a.name);
      if (pipeline) work.push({ trigger: alarmTriggerOf(a, clock.now(), `resume:${a.name}:${a.stateUpdatedMs ?? 0}:${mark}`), pipeline });
    }
    const reached = new Set(work.map((w) => w.pipeline));
    for (const inc of heldByPause(open, lifted)) {
      if (reached.has(inc.pipeline) || (inc.trigger.kind !== 'alarm' && inc.trigger.kind !== 'job-run')) continue;
      reached.add(inc.pipeline);
      work.push({ trigger: { ...inc.trigger, dedupeKey: `resume:${inc.incidentId}:${mark}` }, pipeline: inc.pipeline });
    }
    logger.info('pause lifted: re-evaluating', { pipelines: lifted, alarmsInAlarm: work.filter((w) => w.trigger.kind === 'alarm').length, triggers: work.length, by: t.by?.arn ?? t.source });
    const outcomes: string[] = [];
    let n = 0;
    for (const w of work) {
      if ((ctx.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) < RESUME_MARGIN_MS) break;
      // Each re-evaluation is a delivery of its own, with a request id of its own.
      const r = await this.dispatch(w.trigger, w.pipeline, { ...ctx, awsRequestId: `${ctx.awsRequestId ?? 'resume'}-r${n++}` }, signal).catch((e: unknown) => {
        logger.error('re-evaluation after a resume failed', { pipeline: w.pipeline, error: e as Error });
        return undefined;
      });
      outcomes.push(`${w.pipeline}: ${r?.outcome ?? 'failed'}${r?.decision ? ` ${r.decision.kind} ${r.decision.reason}` : ''}${r?.incidentId ? ` (${r.incidentId})` : ''}`);
    }
    metrics.addMetric('ResumeReevaluations', MetricUnit.Count, outcomes.length);
    return done(`resumed ${lifted.join(', ')}: ${outcomes.length === 0 ? 'no alarm in ALARM and no incident held by the pause' : outcomes.join('; ')}`);
  }
}

/** Open incidents of these pipelines whose last decision was the pause's refusal. */
export function heldByPause(open: readonly IncidentRecord[], pipelines: readonly string[]): IncidentRecord[] {
  return open.filter((i) => pipelines.includes(i.pipeline) && i.decision?.reason === EngineReason.PAUSED).sort((a, b) => a.openedAtMs - b.openedAtMs);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The alarm trigger an alarm event would have carried, from DescribeAlarms. */
export function alarmTriggerOf(a: AlarmDetailView, nowMs: number, dedupeKey: string): AlarmTrigger {
  let reasonData: unknown;
  try {
    reasonData = a.reasonData === undefined ? undefined : (JSON.parse(a.reasonData) as unknown);
  } catch {
    reasonData = undefined;
  }
  const triggering = isRecord(reasonData) && Array.isArray(reasonData.triggeringAlarms)
    ? reasonData.triggeringAlarms.filter((x): x is { arn: string } => isRecord(x) && typeof x.arn === 'string').map((x) => x.arn.slice(x.arn.lastIndexOf(':alarm:') + ':alarm:'.length))
    : [];
  const m = a.metric;
  return {
    kind: 'alarm',
    eventId: dedupeKey,
    dedupeKey,
    alarmName: a.name,
    ...(a.arn ? { alarmArn: a.arn } : {}),
    state: 'ALARM',
    stateAtMs: a.stateUpdatedMs ?? nowMs,
    reason: a.reason,
    ...(reasonData !== undefined ? { reasonData } : {}),
    composite: a.composite,
    triggeringAlarms: triggering,
    metrics: m ? [{ id: 'm1', namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.stat, periodSeconds: m.periodSeconds }] : [],
  };
}
