import type { StreamfixConfig } from './config/schema';
import { manifests } from './playbooks/registry';
import { operationManifests } from './operations/registry';
import type { OperationManifest, OperationPipelineContext } from './operations/types';
import { alarmRoutesOf, wirePlaybook, type AlarmRoute, type Env, type PlaybookWiring } from './core/wire';

/**
 * What the stack wires for a config: per playbook, its alarms and event rules per pipeline.
 * One function shared by lib/ (which creates them), the router (which reads alarm names back,
 * through wire.ts for its own playbook only) and the drills (whose simulated EventBridge
 * matches the same patterns).
 */

export { pipelineContext, wirePlaybook, type AlarmRoute, type Env, type PlaybookWiring, type WiredAlarm, type WiredRule } from './core/wire';

/** Playbooks whose mode is not `off` for at least one pipeline get a function. */
export function buildWiring(config: StreamfixConfig, env: Env): PlaybookWiring[] {
  return manifests.map((manifest) => wirePlaybook(config, manifest, env)).filter((w) => w.pipelines.length > 0);
}

/** The EventBridge pattern that sends a playbook its alarms' state changes. */
export const alarmRulePattern = (alarmNames: string[]) => ({
  source: ['aws.cloudwatch'],
  'detail-type': ['CloudWatch Alarm State Change'],
  detail: { alarmName: alarmNames },
});

/** alarm name → pipeline + playbook, for every playbook of the registry. */
export function alarmRoutes(config: StreamfixConfig, env: Env): Map<string, AlarmRoute> {
  return alarmRoutesOf(config, env, manifests);
}

/** A manual operation's function: the pipelines it may act on. */
export interface OperationWiring {
  operation: string;
  manifest: OperationManifest;
  pipelines: string[];
}

export function buildOperationWiring(config: StreamfixConfig): OperationWiring[] {
  return operationManifests
    .map((manifest) => ({
      operation: manifest.id,
      manifest,
      pipelines: Object.entries(config.pipelines)
        .filter(([, p]) => manifest.appliesTo(p))
        .map(([name]) => name),
    }))
    .filter((w) => w.pipelines.length > 0);
}

export function operationPipelineContext(config: StreamfixConfig, name: string, env: Env): OperationPipelineContext {
  const pipeline = config.pipelines[name];
  if (pipeline === undefined) throw new Error(`unknown pipeline "${name}"`);
  return { name, pipeline, prefix: config.name, ...env };
}
