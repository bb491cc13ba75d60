import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { manifests } from '../../lambdas/playbooks/registry';
import { playbooks } from '../../lambdas/playbooks/registry';
import { playbookSettingsSchemas } from '../../lambdas/playbooks/registry';
import { pipelineContext } from '../../lambdas/wiring';
import exampleConfig from '../../streamfix.config';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';

/** The example (EMR) and a config with Managed Flink pipelines next to an EMR one: both runtimes. */
const configs = [parseConfig(exampleConfig), parseConfig(emrAndFlink)];
const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
/** Real IAM actions look like `service:Action`: catches typos such as `emr-serverless:startJobRun`. */
const IAM_ACTION = /^[a-z0-9-]+:[A-Z][A-Za-z0-9]*$/;
/** Actions IAM cannot scope to a resource: the only ones allowed on `*`. */
const NO_RESOURCE_LEVEL = new Set(['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics', 'cloudwatch:GetMetricStatistics', 'cloudwatch:DescribeAlarms', 'kafka:GetBootstrapBrokers', 'kafka:DescribeClusterOperationV2']);

describe('Playbook registry', () => {
  it('registers every manifest, settings schema and playbook under one id', () => {
    const ids = manifests.map((m) => m.id).sort();
    expect(Object.keys(playbooks).sort()).toEqual(ids);
    expect(Object.keys(playbookSettingsSchemas).sort()).toEqual(ids);
    for (const id of ids) expect(playbooks[id]!.manifest).toBe(manifests.find((m) => m.id === id));
  });

  describe.each(manifests.map((m) => [m.id, m] as const))('%s', (id, manifest) => {
    const applicable = configs.flatMap((config) => Object.entries(config.pipelines).filter(([, p]) => manifest.appliesTo(p)).map(([name, p]) => [name, p, config] as const));

    it('declares act permissions covering every IAM action its actions call', () => {
      for (const [name, pipeline, config] of applicable) {
        const perms = manifest.permissions(pipelineContext(config, name, pipeline, manifest, env));
        const act = new Set(perms.filter((p) => p.step === 'act').flatMap((p) => p.actions));
        const all = new Set(perms.flatMap((p) => p.actions));
        // An action for one job runtime acts only on that runtime's pipelines (its checkBounds refuses the others).
        for (const action of playbooks[id]!.actions.filter((a) => a.runtime === undefined || a.runtime === pipeline.job.kind)) {
          for (const iam of action.iamActions) {
            // Reads an action makes may be declared under any step; writes must be under `act`.
            expect(all.has(iam) || act.has(iam), `${action.type} calls ${iam}, not declared by ${id}`).toBe(true);
          }
        }
      }
    });

    it('declares only well-formed IAM actions, each with a reason and at least one resource', () => {
      for (const [name, pipeline, config] of applicable) {
        for (const p of manifest.permissions(pipelineContext(config, name, pipeline, manifest, env))) {
          expect(p.why.length).toBeGreaterThan(5);
          expect(p.resources.length).toBeGreaterThan(0);
          if (p.resources.includes('*')) {
            for (const a of p.actions) expect(NO_RESOURCE_LEVEL.has(a), `${a} is scoped to * by ${id}`).toBe(true);
          }
          for (const a of p.actions) expect(a).toMatch(IAM_ACTION);
        }
      }
    });

    it('gives every alarm a unique signal and a positive period', () => {
      for (const [name, pipeline, config] of applicable) {
        const alarms = manifest.alarms(pipelineContext(config, name, pipeline, manifest, env));
        expect(new Set(alarms.map((a) => a.signal)).size).toBe(alarms.length);
        for (const a of alarms) {
          expect(a.metric.periodSeconds).toBeGreaterThanOrEqual(10);
          expect(a.datapointsToAlarm).toBeLessThanOrEqual(a.evaluationPeriods);
        }
      }
    });
  });
});
