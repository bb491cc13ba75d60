import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALARM_DESCRIPTION, alarmDescription } from '../../lib/alarms';
import { ENGINE_METRICS } from '../../lib/dashboard';
import { pauseParameterNames } from '../../lambdas/core/names';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';
import { buildStack, flat, roleStatements, type BuiltStack } from './fixture';

/** The widgets of a synthesized dashboard (its body is a Fn::Join of JSON and tokens). */
function widgetsOf(body: unknown): Record<string, unknown>[] {
  const text = flat(body).replace(/<[^>]+>/g, 'TOKEN');
  return (JSON.parse(text) as { widgets: Record<string, unknown>[] }).widgets;
}

describe('Stack: the operator loop', () => {
  let b: BuiltStack;
  beforeAll(() => {
    b = buildStack(
      { ...twoPipelines, runbookBaseUrl: 'https://wiki.example.com/runbooks/{playbook}.md', reports: { s3: 's3://sfx-ops/incident-reports/' } },
      { bundle: false },
    );
  });
  afterAll(() => b?.cleanup());

  it('has one dashboard per pipeline, named after it', () => {
    const names = b
      .ofType('AWS::CloudWatch::Dashboard')
      .map(([, d]) => d.Properties.DashboardName)
      .sort();
    expect(names).toEqual(
      Object.keys(twoPipelines.pipelines)
        .map((p) => `sfx-${p}`)
        .sort(),
    );
  });

  it("graphs every alarm's metric of the pipeline with its threshold, the pipeline's alarms, and streamfix's own metrics", () => {
    for (const pipeline of Object.keys(twoPipelines.pipelines)) {
      const [, dashboard] = b.ofType('AWS::CloudWatch::Dashboard').find(([, d]) => d.Properties.DashboardName === `sfx-${pipeline}`)!;
      const widgets = widgetsOf(dashboard.Properties.DashboardBody);
      const alarms = b.stack.wiring.flatMap((w) => w.alarms.filter((a) => a.pipeline === pipeline));
      expect(alarms.length).toBeGreaterThan(0);
      const graphs = widgets
        .filter((w) => w.type === 'metric')
        .map((w) => w.properties as { title: string; metrics: unknown[][]; annotations?: { horizontal: { value: number }[] } });
      for (const a of alarms) {
        const g = graphs.find((x) => x.title.startsWith(`${a.playbook}: ${a.spec.signal} `));
        expect(g, `${pipeline}: ${a.name}`).toBeDefined();
        expect(g!.metrics[0]!.slice(0, 2)).toEqual([a.spec.metric.namespace, a.spec.metric.metricName]);
        expect(g!.annotations?.horizontal[0]?.value).toBe(a.spec.threshold);
      }
      const status = widgets.find((w) => w.type === 'alarm') as { properties: { alarms: unknown[] } } | undefined;
      expect(status?.properties.alarms).toHaveLength(alarms.length);
      const own = graphs.filter((g) => g.title.startsWith('streamfix')).flatMap((g) => g.metrics.map((m) => m[1]));
      for (const name of [...ENGINE_METRICS.decisions, ...ENGINE_METRICS.actions, ...ENGINE_METRICS.rejected]) expect(own).toContain(name);
      const text = widgets.find((w) => w.type === 'text') as { properties: { markdown: string } };
      expect(text.properties.markdown).toContain('https://wiki.example.com/runbooks/job-failed.md');
    }
  });

  it('puts the runbook in every alarm description', () => {
    for (const [, alarm] of b.ofType('AWS::CloudWatch::Alarm')) {
      const name = String(alarm.Properties.AlarmName ?? '');
      if (name === 'sfx-dead-letters') continue;
      const playbook = b.stack.wiring.find((w) => w.alarms.some((a) => a.name === name))!.playbook;
      expect(alarm.Properties.AlarmDescription).toMatch(new RegExp(`Runbook: https://wiki\\.example\\.com/runbooks/${playbook}\\.md$`));
      expect(String(alarm.Properties.AlarmDescription).length).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION);
    }
  });

  it('sends each playbook function the change events of its pause parameters', () => {
    for (const w of b.stack.wiring) {
      const rule = b.ofType('AWS::Events::Rule').find(([, r]) => r.Properties.Name === `sfx-${w.playbook}-resume`);
      expect(rule, w.playbook).toBeDefined();
      expect(rule![1].Properties.EventPattern).toEqual({
        source: ['aws.ssm'],
        'detail-type': ['Parameter Store Change'],
        detail: { name: pauseParameterNames('sfx', w.pipelines) },
      });
    }
  });

  it('lets every playbook function write post-incident reports under the configured prefix only', () => {
    for (const f of b.functions()) {
      const puts = roleStatements(b, f.fn)
        .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('s3:PutObject'))
        .flatMap((s) => [s.Resource].flat().map(flat))
        .filter((r) => r.includes('sfx-ops'));
      expect(puts, f.id).toEqual(f.kind === 'playbook' ? ['arn:<AWS::Partition>:s3:::sfx-ops/incident-reports/*'] : []);
    }
  });
});

describe('Function: alarmDescription', () => {
  it('keeps the runbook whole and cuts the description to fit 1,024 characters', () => {
    expect(alarmDescription('lag is high', undefined)).toBe('lag is high');
    const long = alarmDescription('x'.repeat(2_000), 'https://wiki.example.com/r');
    expect(long).toHaveLength(MAX_ALARM_DESCRIPTION);
    expect(long.endsWith('… Runbook: https://wiki.example.com/r')).toBe(true);
  });
});
