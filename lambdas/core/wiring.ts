import type { PipelineConfig, StreamfixConfig } from '../config/schema';
import { manifests } from '../playbooks/manifests';
import { operationManifests } from '../operations/manifests';
import type { OperationManifest, OperationPipelineContext } from '../operations/types';
import type { AlarmSpec, EventRuleSpec, PipelineContext, PlaybookManifest } from '../playbooks/types';
import { alarmName } from './names';

/**
 * What the stack wires for a config: per playbook, its alarms and event rules per pipeline.
 * One function shared by lib/ (which creates them), the router (which reads alarm names back)
 * and the drills (whose simulated EventBridge matches the same patterns).
 */
export interface WiredAlarm {
  name: string;
  pipeline: string;
  playbook: string;
  spec: AlarmSpec;
}

export interface WiredRule {
  name: string;
  pipeline: string;
  playbook: string;
  spec: EventRuleSpec;
}

export interface PlaybookWiring {
  playbook: string;
  manifest: PlaybookManifest;
  pipelines: string[];
  alarms: WiredAlarm[];
  rules: WiredRule[];
  /** Alarm names (stack-created and config `routes`) whose state changes go to this playbook. */
  alarmNames: string[];
}

export interface Env {
  account: string;
  region: string;
  partition: string;
}

export function pipelineContext(
  config: StreamfixConfig,
  name: string,
  pipeline: PipelineConfig,
  manifest: PlaybookManifest,
  env: Env,
): PipelineContext {
  const settings = (pipeline.playbooks as Record<string, unknown>)[manifest.id];
  return { name, pipeline, settings: settings as PipelineContext['settings'], prefix: config.name, ...env };
}

/** Playbooks whose mode is not `off` for at least one pipeline get a function. */
export function buildWiring(config: StreamfixConfig, env: Env): PlaybookWiring[] {
  const out: PlaybookWiring[] = [];
  for (const manifest of manifests) {
    const w: PlaybookWiring = { playbook: manifest.id, manifest, pipelines: [], alarms: [], rules: [], alarmNames: [] };
    for (const [name, pipeline] of Object.entries(config.pipelines)) {
      if (!manifest.appliesTo(pipeline)) continue;
      const ctx = pipelineContext(config, name, pipeline, manifest, env);
      if (ctx.settings.mode === 'off') continue;
      w.pipelines.push(name);
      for (const spec of manifest.alarms(ctx)) {
        w.alarms.push({ name: alarmName(config.name, name, manifest.id, spec.signal), pipeline: name, playbook: manifest.id, spec });
      }
      for (const spec of manifest.eventRules(ctx)) {
        w.rules.push({ name: `${config.name}-${name}-${manifest.id}-${spec.id}`, pipeline: name, playbook: manifest.id, spec });
      }
    }
    const routed = config.routes.filter((r) => r.playbook === manifest.id && w.pipelines.includes(r.pipeline));
    w.alarmNames = [...w.alarms.map((a) => a.name), ...routed.map((r) => r.alarmName)];
    if (w.pipelines.length > 0) out.push(w);
  }
  return out;
}

/** The EventBridge pattern that sends a playbook its alarms' state changes. */
export const alarmRulePattern = (alarmNames: string[]) => ({
  source: ['aws.cloudwatch'],
  'detail-type': ['CloudWatch Alarm State Change'],
  detail: { alarmName: alarmNames },
});

/** alarm name → pipeline + playbook, for the router. */
export interface AlarmRoute {
  pipeline: string;
  playbook: string;
  /** The alarm returning to OK counts as recovery. */
  okMeansRecovered: boolean;
}

export function alarmRoutes(config: StreamfixConfig, env: Env): Map<string, AlarmRoute> {
  const m = new Map<string, AlarmRoute>();
  for (const w of buildWiring(config, env)) {
    for (const a of w.alarms) m.set(a.name, { pipeline: a.pipeline, playbook: a.playbook, okMeansRecovered: a.spec.okMeansRecovered ?? true });
  }
  for (const r of config.routes) m.set(r.alarmName, { pipeline: r.pipeline, playbook: r.playbook, okMeansRecovered: true });
  return m;
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
      pipelines: Object.entries(config.pipelines).filter(([, p]) => manifest.appliesTo(p)).map(([name]) => name),
    }))
    .filter((w) => w.pipelines.length > 0);
}

export function operationPipelineContext(config: StreamfixConfig, name: string, env: Env): OperationPipelineContext {
  const pipeline = config.pipelines[name];
  if (pipeline === undefined) throw new Error(`unknown pipeline "${name}"`);
  return { name, pipeline, prefix: config.name, ...env };
}
