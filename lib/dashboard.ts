import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { runbookUrl } from '../lambdas/config/operator';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { dashboardName } from '../lambdas/core/names';
import type { PlaybookWiring, WiredAlarm } from '../lambdas/wiring';

/**
 * One CloudWatch dashboard per pipeline, generated from the manifests: every playbook wired to
 * the pipeline contributes the signals its alarms watch (lag, DLQ rate, checkpoint failures,
 * Firehose freshness and throttling, job state), each graphed with its alarm threshold; then the
 * pipeline's alarms at a glance, and streamfix's own decisions, actions and rejected events
 * (Powertools metrics of each playbook function, dimension `service`).
 */

/** streamfix's own metrics (lambdas/engine/engine.ts, incident.ts), per playbook function. */
export const ENGINE_METRICS = {
  decisions: ['Decision_fix', 'Decision_escalate', 'Decision_recheck'],
  actions: ['Actions', 'ActionFailures', 'GuardrailBlocks'],
  rejected: ['RejectedEvents', 'FailedInvocations'],
} as const;

const WIDTH = 24;

export interface PipelineDashboardProps {
  readonly config: StreamfixConfig;
  readonly pipeline: string;
  /** The stack's wiring: each playbook's alarms of this pipeline. */
  readonly wiring: readonly PlaybookWiring[];
  /** The alarms the stack created, by name. */
  readonly alarms: Readonly<Record<string, cloudwatch.IAlarm>>;
  /** CloudWatch namespace of streamfix's own metrics. */
  readonly metricsNamespace: string;
}

function signalWidget(a: WiredAlarm): cloudwatch.GraphWidget {
  const m = a.spec.metric;
  return new cloudwatch.GraphWidget({
    title: `${a.playbook}: ${a.spec.signal} (${m.namespace} ${m.metricName})`,
    left: [
      new cloudwatch.Metric({
        namespace: m.namespace,
        metricName: m.metricName,
        dimensionsMap: m.dimensions,
        statistic: m.statistic,
        period: Duration.seconds(m.periodSeconds),
      }),
    ],
    leftAnnotations: [{ value: a.spec.threshold, label: `alarm: ${a.spec.comparison} ${a.spec.threshold}` }],
    width: WIDTH / 2,
    height: 6,
  });
}

function engineWidget(title: string, names: readonly string[], playbooks: readonly string[], namespace: string): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: playbooks.flatMap((p) =>
      names.map(
        (n) =>
          new cloudwatch.Metric({ namespace, metricName: n, dimensionsMap: { service: p }, statistic: 'Sum', period: Duration.minutes(5), label: `${p} ${n}` }),
      ),
    ),
    width: WIDTH / 3,
    height: 6,
    stacked: true,
  });
}

export function pipelineDashboard(scope: Construct, id: string, props: PipelineDashboardProps): cloudwatch.Dashboard {
  const { config, pipeline } = props;
  const wired = props.wiring.filter((w) => w.pipelines.includes(pipeline));
  const alarms = wired.flatMap((w) => w.alarms.filter((a) => a.pipeline === pipeline));
  const playbooks = wired.map((w) => w.playbook);
  const links = playbooks.map((p) => {
    const url = runbookUrl(config.runbookBaseUrl, p);
    return url ? `[${p}](${url})` : p;
  });
  const dashboard = new cloudwatch.Dashboard(scope, id, {
    dashboardName: dashboardName(config.name, pipeline),
    defaultInterval: Duration.hours(6),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# ${pipeline}\n${config.pipelines[pipeline]?.description ?? ''}\n\nPlaybooks: ${links.join(' · ') || 'none'}`,
      width: WIDTH,
      height: 3,
    }),
  );
  const own = alarms.map((a) => props.alarms[a.name]).filter((a): a is cloudwatch.IAlarm => a !== undefined);
  if (own.length > 0) dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: `${pipeline}: alarms`, alarms: own, width: WIDTH, height: 3 }));
  for (let i = 0; i < alarms.length; i += 2) dashboard.addWidgets(...alarms.slice(i, i + 2).map(signalWidget));
  if (playbooks.length > 0) {
    dashboard.addWidgets(
      engineWidget('streamfix decisions (every pipeline of each playbook)', ENGINE_METRICS.decisions, playbooks, props.metricsNamespace),
      engineWidget('streamfix actions and guardrail blocks', ENGINE_METRICS.actions, playbooks, props.metricsNamespace),
      engineWidget('streamfix rejected events and failed invocations', ENGINE_METRICS.rejected, playbooks, props.metricsNamespace),
    );
  }
  return dashboard;
}
