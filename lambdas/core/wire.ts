import type { PipelineConfig, StreamfixConfig } from '../config/schema';
import type { AlarmSpec, EventRuleSpec, PipelineContext, PlaybookManifest } from './playbook';
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
  /** The pipelines whose events this rule matches (one rule serves every pipeline it can). */
  pipelines: string[];
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

export function pipelineContext(config: StreamfixConfig, name: string, pipeline: PipelineConfig, manifest: PlaybookManifest, env: Env): PipelineContext {
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
      // One rule per manifest rule, its pattern the union of every pipeline's (EventBridge
      // matches any value of a list): an event is delivered once, the playbook routes it to its
      // pipeline, and the stack holds a rule per playbook instead of one per pipeline (a stack
      // has at most 500 resources). Patterns that cannot be merged get a rule of their own.
      const merged = w.rules.find((r) => r.spec.id === spec.id && mergePatterns(r.spec.pattern, spec.pattern) !== undefined);
      if (merged) {
        merged.spec = { ...merged.spec, pattern: mergePatterns(merged.spec.pattern, spec.pattern)! };
        merged.pipelines.push(name);
      } else {
        const taken = w.rules.some((r) => r.spec.id === spec.id);
        w.rules.push({ name: `${config.name}-${manifest.id}-${spec.id}${taken ? `-${name}` : ''}`, pipelines: [name], playbook: manifest.id, spec });
      }
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

/**
 * Two event patterns as one, when they have the same shape and differ only in the values of
 * their lists (`{detail: {applicationId: [a]}}` + `{detail: {applicationId: [b]}}` →
 * `{detail: {applicationId: [a, b]}}`); undefined when they differ otherwise.
 */
export function mergePatterns<P>(a: P, b: P): P | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (![...a, ...b].every((v) => typeof v === 'string' || typeof v === 'number')) return JSON.stringify(a) === JSON.stringify(b) ? a : undefined;
    return [...new Set([...a, ...b])] as P;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (JSON.stringify(ka) !== JSON.stringify(kb)) return undefined;
    const out: Record<string, unknown> = {};
    let listsDiffer = 0;
    for (const k of ka) {
      const va = (a as Record<string, unknown>)[k];
      const vb = (b as Record<string, unknown>)[k];
      const m = mergePatterns(va, vb);
      if (m === undefined) return undefined;
      if (JSON.stringify(va) !== JSON.stringify(vb)) listsDiffer++;
      out[k] = m;
    }
    // Lists differing in two places at once would also match their cross products: keep apart.
    return listsDiffer <= 1 ? (out as P) : undefined;
  }
  return a === b ? a : undefined;
}
