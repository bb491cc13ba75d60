import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { parseTrigger } from '../../lambdas/core/events';
import { withRunName } from '../../lambdas/engine/job-run-name';
import { Router } from '../../lambdas/engine/router';
import type { AlarmTrigger, JobRunTrigger, Trigger } from '../../lambdas/core/trigger';
import { playbooks } from '../../lambdas/playbooks/registry';
import { APP, NO_RETRY, T0, newWorld, simClient, startInput } from '../drills/helpers';
import { awsSample, CLOUDWATCH_SAMPLES, EMR_SAMPLES, shapeDiff } from './samples';

/**
 * The fidelity corpus: AWS's own sample events (each file names its page) go through streamfix's
 * intake and routing, and the simulated platform's events must have the same keys and types as
 * those samples, so the simulator cannot drift from what AWS sends.
 */

const SAMPLE_APP = '00f1982r1uukb925';
const pipeline = (jobName: string, applicationId = SAMPLE_APP) => ({
  source: { kind: 'msk', clusterArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/c/1', clusterName: 'c', topic: `${jobName}.raw`, consumerGroup: jobName },
  job: {
    kind: 'emr-serverless',
    applicationId,
    jobName,
    executionRoleArn: 'arn:aws:iam::123456789012:role/job',
    checkpoint: `s3://lake-bucket/_checkpoints/${jobName}/`,
  },
});

const config = (pipelines: Record<string, unknown>) =>
  parseConfig({
    account: '123456789012',
    region: 'us-east-1',
    pipelines,
    routes: CLOUDWATCH_SAMPLES.map((name) => ({
      alarmName: (awsSample('cloudwatch', name).event.detail as { alarmName: string }).alarmName,
      pipeline: 'orders',
      playbook: 'job-failed',
    })),
  });

const env = { account: '123456789012', region: 'us-east-1', partition: 'aws' };

describe('Fidelity corpus: AWS sample events', () => {
  it('names its source page in every file', () => {
    for (const [service, names] of [
      ['cloudwatch', CLOUDWATCH_SAMPLES],
      ['emr-serverless', EMR_SAMPLES],
    ] as const) {
      for (const name of names) {
        const s = awsSample(service, name);
        expect(s.sourcePage).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
        expect(s.title.length).toBeGreaterThan(10);
      }
    }
  });

  describe('Intake', () => {
    const parse = (name: (typeof CLOUDWATCH_SAMPLES)[number]) => parseTrigger(awsSample('cloudwatch', name).event) as AlarmTrigger;

    it('reads the single metric alarm: its metric, reasonData and mute rule', () => {
      const t = parse('alarm-state-change-metric');
      expect(t).toMatchObject({ kind: 'alarm', alarmName: 'ServerCpuTooHigh', state: 'ALARM', previousState: 'OK', composite: false });
      expect(t.metrics).toEqual([
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          namespace: 'AWS/EC2',
          metricName: 'CPUUtilization',
          dimensions: { InstanceId: 'i-12345678901234567' },
          stat: 'Average',
          periodSeconds: 300,
        },
      ]);
      expect(t.reasonData).toMatchObject({ recentDatapoints: [99.50160229693434], threshold: 50 });
      expect(t.suppression?.mute).toEqual({
        mutedByArn: 'arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
        startMs: Date.parse('2026-01-01T10:00:00Z'),
        endMs: Date.parse('2026-01-01T12:00:00Z'),
      });
    });

    it('reads the metric math and anomaly detection alarms: expressions next to metric stats', () => {
      expect(parse('alarm-state-change-metric-math').metrics.map((m) => m.expression ?? m.metricName)).toEqual(['SUM(METRICS())', 'NetworkIn', 'NetworkOut']);
      expect(parse('alarm-state-change-anomaly-detection').metrics.map((m) => m.expression ?? m.metricName)).toEqual([
        'CPUUtilization',
        'ANOMALY_DETECTION_BAND(m1, 0.8)',
      ]);
    });

    it('reads the composite alarm with its suppressor and the Metrics Insights alarm without reasonData', () => {
      const c = parse('alarm-state-change-composite-suppressor');
      expect(c).toMatchObject({ composite: true, triggeringAlarms: ['ServerCpuTooHigh'] });
      expect(c.suppression).toMatchObject({
        actionsSuppressedBy: 'WaitPeriod',
        suppressor: { alarm: 'ServiceMaintenanceAlarm', waitPeriodSeconds: 120, extensionPeriodSeconds: 180 },
      });
      const mi = parse('alarm-state-change-metrics-insights');
      expect(mi.metrics[0]!.expression).toContain('SELECT AVG(ConsumedWriteCapacityUnits)');
      expect(mi.reasonData).toBeUndefined();
    });

    it('reads the job run state change (no name) and the job run retry', () => {
      const s = parseTrigger(awsSample('emr-serverless', 'job-run-state-change').event) as JobRunTrigger;
      expect(s).toMatchObject({ kind: 'job-run', applicationId: SAMPLE_APP, jobRunId: '00f1cbn5g4bb0c01', state: 'RUNNING', previousState: 'SCHEDULED' });
      expect(s.jobRunName).toBeUndefined();
      const r = parseTrigger(awsSample('emr-serverless', 'job-run-retry').event) as JobRunTrigger;
      expect(r).toMatchObject({ kind: 'job-run', state: 'RETRY', retry: { previousAttempt: 1, previousAttemptState: 'FAILED', newAttempt: 2 } });
      expect(r.dedupeKey).not.toBe(s.dedupeKey);
    });
  });

  describe('Routing', () => {
    it('routes every alarm sample to the pipeline its config route names', () => {
      const cfg = config({ orders: pipeline('orders-stream') });
      const router = new Router(cfg, playbooks['job-failed']!, env);
      for (const name of CLOUDWATCH_SAMPLES) expect(router.route(parseTrigger(awsSample('cloudwatch', name).event))).toEqual(['orders']);
    });

    it('routes a job run event without a name by one GetJobRun when two pipelines share the application, never by fan-out', async () => {
      const cfg = config({ orders: pipeline('orders-stream'), payments: pipeline('payments-stream') });
      const playbook = playbooks['job-failed']!;
      const router = new Router(cfg, playbook, env);
      for (const name of EMR_SAMPLES) {
        const calls: string[] = [];
        const emr = {
          getJobRun: async (_app: string, id: string) => {
            calls.push(id);
            return { name: 'payments-stream' };
          },
        };
        const t: Trigger = await withRunName(parseTrigger(awsSample('emr-serverless', name).event), cfg, playbook, () => emr);
        expect(router.route(t)).toEqual(['payments']);
        expect(calls).toEqual(['00f1cbn5g4bb0c01']);
      }
    });

    it('makes no call when one pipeline runs on the application', async () => {
      const cfg = config({ orders: pipeline('orders-stream') });
      const calls: string[] = [];
      const emr = {
        getJobRun: async (_app: string, id: string) => {
          calls.push(id);
          return { name: 'x' };
        },
      };
      const t = await withRunName(parseTrigger(awsSample('emr-serverless', 'job-run-state-change').event), cfg, playbooks['job-failed']!, () => emr);
      expect(new Router(cfg, playbooks['job-failed']!, env).route(t)).toEqual(['orders']);
      expect(calls).toEqual([]);
    });
  });

  describe('The simulated platform speaks like the samples', () => {
    const alarmWorld = () => {
      const world = newWorld();
      const events: Record<string, unknown>[] = [];
      world.cloudwatch.publish = (e) => events.push(e);
      world.cloudwatch.addAlarm({
        name: 'streamfix-orders-job-failed-failed-runs',
        pipeline: 'orders',
        playbook: 'job-failed',
        spec: {
          signal: 'failed-runs',
          description: 'a run failed',
          metric: { namespace: 'AWS/EMRServerless', metricName: 'FailedJobs', dimensions: { ApplicationId: APP }, statistic: 'Sum', periodSeconds: 60 },
          comparison: 'GreaterThanOrEqualToThreshold',
          threshold: 1,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: 'notBreaching',
        },
      });
      return { world, events };
    };

    it('sends alarm state changes with the keys and types of the single metric alarm sample (muteDetail only when a mute rule targets the alarm)', async () => {
      const { world, events } = alarmWorld();
      world.cloudwatch.store.putValue({ namespace: 'AWS/EMRServerless', metricName: 'FailedJobs', dimensions: { ApplicationId: APP } }, T0 + 60_000, 1);
      await world.runUntil(T0 + 121_000);
      world.cloudwatch.muteAlarm('streamfix-orders-job-failed-failed-runs', 'nightly', T0 + 121_000, T0 + 3_600_000);
      await world.runUntil(T0 + 181_000);
      const sample = awsSample('cloudwatch', 'alarm-state-change-metric').event;
      expect(events.map((e) => (e.detail as { state: { value: string } }).state.value)).toEqual(['ALARM', 'OK']);
      expect(events[0]!.detail).not.toHaveProperty('muteDetail');
      expect(shapeDiff(sample, events[0], ['detail.muteDetail'])).toEqual([]);
      expect(shapeDiff(sample, events[1])).toEqual([]);
    });

    it('sends a metric math alarm (RATE) with the keys and types of the metric math sample: the expression returns the data, its metric does not', async () => {
      const world = newWorld();
      const events: Record<string, unknown>[] = [];
      world.cloudwatch.publish = (e) => events.push(e);
      const metric = { namespace: 'AWS/KinesisAnalytics', metricName: 'fullRestarts', dimensions: { Application: 'clicks-enricher' } };
      world.cloudwatch.addAlarm({
        name: 'streamfix-clicks-job-failed-restarts',
        pipeline: 'clicks',
        playbook: 'job-failed',
        spec: {
          signal: 'restarts',
          description: 'the job restarts',
          metric: { ...metric, statistic: 'Maximum', periodSeconds: 60, math: 'RATE' },
          comparison: 'GreaterThanThreshold',
          threshold: 0,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: 'notBreaching',
        },
      });
      world.cloudwatch.store.putValue(metric, T0 + 1_000, 0);
      world.cloudwatch.store.putValue(metric, T0 + 61_000, 12);
      await world.runUntil(T0 + 121_000);
      expect(events).toHaveLength(1);
      const sample = awsSample('cloudwatch', 'alarm-state-change-metric-math').event;
      // The sample's previous state is the alarm's creation ("Unchecked: Initial alarm creation"), which has no reasonData.
      expect(shapeDiff(sample, events[0], ['detail.muteDetail', 'detail.previousState.reasonData'])).toEqual([]);
      type Metrics = { detail: { configuration: { metrics: Record<string, unknown>[] } } };
      const [expression, stat] = (events[0] as Metrics).detail.configuration.metrics;
      expect(expression).toMatchObject({ id: 'e1', expression: 'RATE(m1)', returnData: true });
      expect(stat).toMatchObject({
        id: 'm1',
        returnData: false,
        metricStat: { metric: { name: 'fullRestarts', namespace: 'AWS/KinesisAnalytics' }, period: 60, stat: 'Maximum' },
      });
      const t = parseTrigger(events[0]) as AlarmTrigger;
      expect(t.metrics.map((m) => m.expression ?? m.metricName)).toEqual(['RATE(m1)', 'fullRestarts']);
    });

    it('sends job run state changes and retries with the keys and types of the EMR Serverless samples', async () => {
      const world = newWorld();
      const events: Record<string, unknown>[] = [];
      world.emr.publish = (e) => events.push(e);
      const emr = simClient(world, EMRServerlessClient);
      const { jobRunId } = await emr.send(new StartJobRunCommand(startInput()));
      await world.clock.advance(10_000);
      world.emr.failRun(jobRunId!, 'ExecutorLostFailure');
      const other = await emr.send(new StartJobRunCommand(startInput({ clientToken: 'b', name: 'other', ...NO_RETRY })));
      await world.clock.advance(10_000);
      world.emr.failRun(other.jobRunId!, 'boom');
      const changes = events.filter((e) => e['detail-type'] === 'EMR Serverless Job Run State Change');
      const retries = events.filter((e) => e['detail-type'] === 'EMR Serverless Job Run Retry');
      expect(retries).toHaveLength(1);
      expect(changes.map((e) => (e.detail as { state: string }).state)).toContain('FAILED');
      const change = awsSample('emr-serverless', 'job-run-state-change').event;
      // The first event of a run (SUBMITTED) has no state before it.
      for (const e of changes) expect(shapeDiff(change, e, ['detail.previousState'])).toEqual([]);
      expect(shapeDiff(awsSample('emr-serverless', 'job-run-retry').event, retries[0])).toEqual([]);
    });
  });
});
