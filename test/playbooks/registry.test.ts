import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionDefinition, PermissionSpec } from '../../lambdas/core/playbook';
import { parseConfig } from '../../lambdas/schema';
import { manifests, playbooks, playbookSettingsSchemas } from '../../lambdas/playbooks/registry';
import { operations, operationManifests } from '../../lambdas/operations/registry';
import { entryExportName } from '../../lib/entries';
import { pipelineContext } from '../../lambdas/wiring';
import exampleConfig from '../../streamfix.config';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';

/** The example (EMR) and a config with Managed Flink pipelines next to an EMR one: both runtimes. */
const configs = [parseConfig(exampleConfig), parseConfig(emrAndFlink)];
const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
/** Real IAM actions look like `service:Action`: catches typos such as `emr-serverless:startJobRun`. */
const IAM_ACTION = /^[a-z0-9-]+:[A-Z][A-Za-z0-9]*$/;
/** Actions IAM cannot scope to a resource: the only ones allowed on `*`. */
const NO_RESOURCE_LEVEL = new Set([
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:DescribeAlarms',
  'kafka:GetBootstrapBrokers',
  'kafka:DescribeClusterOperationV2',
]);

/**
 * Read-only IAM actions: IAM's access levels List and Read, by the verb of the action (Get…,
 * List…, Describe…, Head…, BatchGet…, and CloudWatch Logs' FilterLogEvents), plus the read-only
 * calls whose verb does not say so. iam:SimulatePrincipalPolicy "does not perform the API
 * operations; it only checks the authorization" (IAM API Reference, SimulatePrincipalPolicy).
 * Everything else changes something: a write.
 */
const READ_VERB = /^(Get|List|Describe|Head|BatchGet|Filter)[A-Z]/;
const READ_ONLY_CALLS = new Set(['iam:SimulatePrincipalPolicy']);
const isRead = (iamAction: string): boolean => READ_ONLY_CALLS.has(iamAction) || READ_VERB.test(iamAction.split(':')[1] ?? '');

/**
 * What breaks the rule "reads an action makes may be declared under any step; writes must be
 * under `act`": an action's call that no step declares, an action's write not declared under
 * `act`, and a write that a diagnose or verify step grants (those steps only read).
 */
function stepViolations(perms: PermissionSpec[], actions: readonly Pick<ActionDefinition, 'type' | 'iamActions'>[]): string[] {
  const act = new Set(perms.filter((p) => p.step === 'act').flatMap((p) => p.actions));
  const all = new Set(perms.flatMap((p) => p.actions));
  const out: string[] = [];
  for (const action of actions) {
    for (const iam of action.iamActions) {
      if (isRead(iam) ? !all.has(iam) : !act.has(iam)) out.push(`${action.type} calls ${iam}, not declared${isRead(iam) ? '' : ' under act'}`);
    }
  }
  for (const p of perms.filter((x) => x.step !== 'act')) {
    for (const iam of p.actions.filter((a) => !isRead(a))) out.push(`${p.step} grants ${iam}, a write`);
  }
  return out;
}

describe('Playbook registry', () => {
  it('registers every manifest, settings schema and playbook under one id, once', () => {
    const ids = manifests.map((m) => m.id).sort();
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(playbooks).sort()).toEqual(ids);
    expect(Object.keys(playbookSettingsSchemas).sort()).toEqual(ids);
    for (const id of ids) {
      expect(playbooks[id]!.manifest).toBe(manifests.find((m) => m.id === id));
      expect(playbookSettingsSchemas[id]).toBe(playbooks[id]!.manifest.settings);
    }
  });

  it('has one folder per playbook and operation, named by its id, exporting it under the name its Lambda entry imports', async () => {
    const folders = (dir: string) =>
      readdirSync(join(process.cwd(), 'lambdas', dir), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    expect(folders('playbooks')).toEqual(Object.keys(playbooks).sort());
    expect(folders('operations')).toEqual(Object.keys(operations).sort());
    expect(operationManifests.map((m) => m.id).sort()).toEqual(Object.keys(operations).sort());
    for (const id of Object.keys(playbooks)) {
      const folder = (await import(`../../lambdas/playbooks/${id}/index.ts`)) as Record<string, unknown>;
      expect(folder[entryExportName(id, 'playbook')], `lambdas/playbooks/${id} exports ${entryExportName(id, 'playbook')}`).toBe(playbooks[id]);
    }
    for (const id of Object.keys(operations)) {
      const folder = (await import(`../../lambdas/operations/${id}/index.ts`)) as Record<string, unknown>;
      expect(folder[entryExportName(id, 'operation')], `lambdas/operations/${id} exports ${entryExportName(id, 'operation')}`).toBe(operations[id]);
    }
  });

  describe('the rule "writes must be under act"', () => {
    const restart = { type: 'emr-serverless:StartJobRun', iamActions: ['emr-serverless:GetJobRun', 'emr-serverless:StartJobRun'] };
    const perm = (step: PermissionSpec['step'], actions: string[]): PermissionSpec => ({
      step,
      actions,
      resources: ['arn:aws:emr-serverless:eu-west-1:123456789012:/applications/a'],
      why: 'test grant',
    });

    it("holds when the action's write is under act and its read under any step", () => {
      expect(stepViolations([perm('diagnose', ['emr-serverless:GetJobRun']), perm('act', ['emr-serverless:StartJobRun'])], [restart])).toEqual([]);
    });

    it('fails for a write declared under another step, a write a read-only step grants, and a call nobody declares', () => {
      expect(stepViolations([perm('diagnose', ['emr-serverless:GetJobRun', 'emr-serverless:StartJobRun'])], [restart])).toEqual([
        'emr-serverless:StartJobRun calls emr-serverless:StartJobRun, not declared under act',
        'diagnose grants emr-serverless:StartJobRun, a write',
      ]);
      expect(stepViolations([perm('act', ['emr-serverless:StartJobRun'])], [restart])).toEqual([
        'emr-serverless:StartJobRun calls emr-serverless:GetJobRun, not declared',
      ]);
      expect(stepViolations([perm('verify', ['iam:PassRole']), perm('diagnose', ['iam:SimulatePrincipalPolicy', 'logs:FilterLogEvents'])], [])).toEqual([
        'verify grants iam:PassRole, a write',
      ]);
    });
  });

  describe.each(manifests.map((m) => [m.id, m] as const))('%s', (id, manifest) => {
    const applicable = configs.flatMap((config) =>
      Object.entries(config.pipelines)
        .filter(([, p]) => manifest.appliesTo(p))
        .map(([name, p]) => [name, p, config] as const),
    );

    it('declares every IAM action its actions call: reads under any step, writes under act; diagnose and verify only read', () => {
      expect(applicable.length).toBeGreaterThan(0);
      for (const [name, pipeline, config] of applicable) {
        const perms = manifest.permissions(pipelineContext(config, name, pipeline, manifest, env));
        // An action for one job runtime acts only on that runtime's pipelines (its checkBounds refuses the others).
        const actions = playbooks[id]!.actions.filter((a) => a.runtime === undefined || a.runtime === pipeline.job.kind);
        expect(stepViolations(perms, actions), `${id} on ${name}`).toEqual([]);
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
