import type { PipelineConfig, StreamfixConfig } from '../config/schema';
import type { AlarmSpec, EventRuleSpec, PipelineContext, PlaybookManifest } from '../playbooks/types';
import { alarmName } from './names';

/**
 * The wiring of the manifests it is given. It imports no manifest itself, so a function's
 * router reads back its own playbook's alarm names without bundling every other playbook
 * (wiring.ts applies it to the whole registry for lib/ and the drills).
 */

/** What the stack wires for one playbook: its alarms and event rules per pipeline. */
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

/** One playbook's wiring; no pipelines when it applies to none or is `off` on all of them. */
export function wirePlaybook(config: StreamfixConfig, manifest: PlaybookManifest, env: Env): PlaybookWiring {
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
      // Pipelines sharing an EMR application get identical job run rules (the events name no
      // job): one rule delivers the event once, and the playbook routes it to its pipeline.
      if (w.rules.some((r) => JSON.stringify(r.spec.pattern) === JSON.stringify(spec.pattern))) continue;
      w.rules.push({ name: `${config.name}-${name}-${manifest.id}-${spec.id}`, pipeline: name, playbook: manifest.id, spec });
    }
  }
  const routed = config.routes.filter((r) => r.playbook === manifest.id && w.pipelines.includes(r.pipeline));
  w.alarmNames = [...w.alarms.map((a) => a.name), ...routed.map((r) => r.alarmName)];
  return w;
}

/** alarm name → pipeline + playbook, for the router. */
export interface AlarmRoute {
  pipeline: string;
  playbook: string;
  /** The alarm returning to OK counts as recovery. */
  okMeansRecovered: boolean;
}

/** The routes of the alarms `manifests` create, then every config route (which names its playbook). */
export function alarmRoutesOf(config: StreamfixConfig, env: Env, manifests: readonly PlaybookManifest[]): Map<string, AlarmRoute> {
  const m = new Map<string, AlarmRoute>();
  for (const w of manifests.map((manifest) => wirePlaybook(config, manifest, env))) {
    for (const a of w.alarms) m.set(a.name, { pipeline: a.pipeline, playbook: a.playbook, okMeansRecovered: a.spec.okMeansRecovered ?? true });
  }
  for (const r of config.routes) m.set(r.alarmName, { pipeline: r.pipeline, playbook: r.playbook, okMeansRecovered: true });
  return m;
}
