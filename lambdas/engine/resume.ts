import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AlarmDetailView } from '../adapters/cloudwatch';
import type { IncidentRecord } from '../ledger/types';
import { EngineReason } from '../core/decision';
import type { EngineDeps } from './run';
import type { PlaybookSettings } from '../core/playbook';
import type { Router } from './router';
import type { InvocationContext, InvocationResult } from './runtime';
import type { AlarmTrigger, JobRunTrigger, ResumeTrigger } from '../core/trigger';
import { isRecord } from '../util/is-record';

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
 *  2. per pipeline, its alarm of the playbook still in ALARM (DescribeAlarms) as a fresh alarm
 *     trigger; or, when none is, its open incident held by the pause (last decision PAUSED), with
 *     its own first trigger. One re-evaluation per pipeline is enough: a pipeline has one open
 *     incident per playbook, which every trigger joins.
 *
 * Each goes through the same engine and dedupe as any trigger. Its dedupe key names the
 * pipeline and the pause parameters' versions: the parameter's event and `streamfix resume` for
 * one lift of the pause re-evaluate each pipeline once between them, a later pause and resume
 * does so again, and Lambda's retry of an attempt that died mid-fix finds the same key (and, with
 * the same request id, takes the half-done fix over at once) even once the alarm is back to OK.
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
      .filter(
        ([, p]) =>
          playbook.manifest.appliesTo(p) && ((p.playbooks as Record<string, PlaybookSettings | undefined>)[playbook.manifest.id]?.mode ?? 'off') !== 'off',
      )
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
    if (lifted.length === 0)
      return done(`still paused (${states.map((s) => `${s.scope}: ${s.reason}`).join('; ')}): nothing to re-evaluate`, EngineReason.PAUSED);

    const names = [env.pauseParameter, ...lifted.map((p) => `${env.pipelinePauseParameterPrefix}${p}`)];
    const routes = this.router.alarmsOf(lifted);
    const [versions, alarms, open] = await Promise.all([
      aws.ssm.describeParameters(names),
      aws.cloudwatch.describeAlarms(routes.map((a) => a.alarmName)),
      ledger.incidents.listOpen(playbook.manifest.id),
    ]);
    const mark = names.map((n) => versions[n]?.version ?? 0).join('.');
    const firing = alarms.filter((x) => x.state === 'ALARM');
    const work = reevaluations({ pipelines: lifted, order: Object.keys(config.pipelines), firing, routes, open, mark, nowMs: clock.now() });
    logger.info('pause lifted: re-evaluating', { pipelines: lifted, alarmsInAlarm: firing.length, triggers: work.length, by: t.by?.arn ?? t.source });
    const outcomes: string[] = [];
    const incidents: string[] = [];
    for (const w of work) {
      if ((ctx.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) < RESUME_MARGIN_MS) break;
      // Each re-evaluation is a delivery of its own, with a request id of its own: the same one in
      // Lambda's retry of this invocation, which takes the delivery (and its incident) over at once.
      const r = await this.dispatch(w.trigger, w.pipeline, { ...ctx, awsRequestId: `${ctx.awsRequestId ?? 'resume'}-${w.requestSuffix}` }, signal).catch(
        (e: unknown) => {
          logger.error('re-evaluation after a resume failed', { pipeline: w.pipeline, error: e as Error });
          return undefined;
        },
      );
      outcomes.push(
        `${w.pipeline}: ${r?.outcome ?? 'failed'}${r?.decision ? ` ${r.decision.kind} ${r.decision.reason}` : ''}${r?.incidentId ? ` (${r.incidentId})` : ''}`,
      );
      if (r?.incidentId && !incidents.includes(r.incidentId)) incidents.push(r.incidentId);
    }
    // A pipeline with nothing to re-evaluate now may have been re-evaluated by an earlier delivery
    // of this resume (the parameter's event, `streamfix resume`, or an attempt Lambda retries):
    // name its incident, so that this invocation says what it stands for.
    for (const pipeline of lifted.filter((p) => !work.some((w) => w.pipeline === p))) {
      const earlier = await ledger.deliveries.incidentOf(`${playbook.manifest.id}#resume:${pipeline}:${mark}`);
      if (earlier === undefined) continue;
      outcomes.push(`${pipeline}: already re-evaluated (${earlier})`);
      if (!incidents.includes(earlier)) incidents.push(earlier);
    }
    metrics.addMetric('ResumeReevaluations', MetricUnit.Count, outcomes.length);
    const summary = done(
      `resumed ${lifted.join(', ')}: ${outcomes.length === 0 ? 'no alarm in ALARM and no incident held by the pause' : outcomes.join('; ')}`,
    );
    // The incident it worked on, when it is one (what an invocation record names), and every one.
    return { ...summary, ...(incidents.length === 1 ? { incidentId: incidents[0] } : {}), ...(incidents.length > 0 ? { incidentIds: incidents } : {}) };
  }
}

export interface Reevaluation {
  trigger: AlarmTrigger | JobRunTrigger;
  pipeline: string;
  /** Appended to the invocation's request id: stable across Lambda's retries of the invocation. */
  requestSuffix: string;
}

/**
 * What a lifted pause re-evaluates (pure): per pipeline, its first alarm in ALARM (by name); or,
 * when none is, its open incident held by the pause (last decision PAUSED), or left `acting` by
 * a dead attempt of this resume, with that incident's first trigger. The dedupe key names the
 * pipeline and the pause parameters' versions (`mark`).
 */
export function reevaluations(p: {
  pipelines: readonly string[];
  /** Every pipeline of the config, in order: a pipeline's index names its re-evaluation's request. */
  order: readonly string[];
  firing: readonly AlarmDetailView[];
  routes: readonly { alarmName: string; pipeline: string }[];
  open: readonly IncidentRecord[];
  mark: string;
  nowMs: number;
}): Reevaluation[] {
  const routeOf = new Map(p.routes.map((a) => [a.alarmName, a.pipeline]));
  const firing = [...p.firing].filter((a) => a.state === 'ALARM').sort((x, y) => x.name.localeCompare(y.name));
  const out: Reevaluation[] = [];
  for (const pipeline of p.pipelines) {
    const dedupeKey = `resume:${pipeline}:${p.mark}`;
    const requestSuffix = `r${p.order.indexOf(pipeline)}`;
    const alarm = firing.find((a) => routeOf.get(a.name) === pipeline);
    if (alarm) {
      out.push({ trigger: alarmTriggerOf(alarm, p.nowMs, dedupeKey), pipeline, requestSuffix });
      continue;
    }
    const inc = p.open.find((i) => i.pipeline === pipeline && (i.decision?.reason === EngineReason.PAUSED || i.status === 'acting'));
    if (inc && (inc.trigger.kind === 'alarm' || inc.trigger.kind === 'job-run')) out.push({ trigger: { ...inc.trigger, dedupeKey }, pipeline, requestSuffix });
  }
  return out;
}

/** The alarm trigger an alarm event would have carried, from DescribeAlarms. */
export function alarmTriggerOf(a: AlarmDetailView, nowMs: number, dedupeKey: string): AlarmTrigger {
  let reasonData: unknown;
  try {
    reasonData = a.reasonData === undefined ? undefined : (JSON.parse(a.reasonData) as unknown);
  } catch {
    reasonData = undefined;
  }
  const triggering =
    isRecord(reasonData) && Array.isArray(reasonData.triggeringAlarms)
      ? reasonData.triggeringAlarms
          .filter((x): x is { arn: string } => isRecord(x) && typeof x.arn === 'string')
          .map((x) => x.arn.slice(x.arn.lastIndexOf(':alarm:') + ':alarm:'.length))
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
