import type { PipelineConfig, StreamfixConfig } from '../lambdas/config';
import type { DrillResult } from './result';
import type { LoadedScenario } from './scenario/load';
import { isRecord } from '../lambdas/util/is-record';

/**
 * `streamfix drill --config streamfix.config.ts`: the built-in incidents against a user's own
 * config. A built-in scenario of one pipeline runs on the first pipeline of the user's config
 * that has what the scenario's pipeline has (the same source kind, a Firehose sink and a DLQ
 * when it has them), under the scenario's pipeline name so that its timeline and expectations
 * still point at it; the user's modes, bounds, budgets and escalation apply. Every name the
 * scenario's config gives (application, job, stream, cluster, bucket prefixes, roles, the
 * PagerDuty secret) is replaced in the scenario's world and timeline by the one at the same
 * place in the user's config, so the simulated platform holds the user's resources.
 *
 * The scenario's expectations were written for its own config: with another config they may
 * not hold, and that is the point (`DIFF`). A drill fails only when streamfix itself misbehaves:
 * a guardrail broken, or an invocation that threw where the scenario expects none.
 */

export type Adapted = { loaded: LoadedScenario; pipeline: string } | { skipped: string };

/** Settings and prose, not names of resources: never renamed. */
const NOT_NAMES = new Set(['mode', 'description', 'kind', 'statistic']);

/** Old → new for every name that differs at the same place in both configs. */
export function namesMap(from: unknown, to: unknown, out = new Map<string, string>()): Map<string, string> {
  if (typeof from === 'string' && typeof to === 'string') {
    if (from !== to && from !== '') out.set(from, to);
  } else if (Array.isArray(from) && Array.isArray(to)) {
    from.forEach((f, i) => namesMap(f, to[i], out));
  } else if (isRecord(from) && isRecord(to)) {
    for (const k of Object.keys(from)) if (k in to && !NOT_NAMES.has(k)) namesMap(from[k], to[k], out);
  }
  return out;
}

/** `value` with every mapped name replaced: whole strings, and S3 URIs under a mapped prefix. */
export function rename<T>(value: T, names: ReadonlyMap<string, string>): T {
  const prefixes = [...names.entries()].filter(([k]) => k.startsWith('s3://') && k.endsWith('/')).sort((a, b) => b[0].length - a[0].length);
  const one = (s: string): string => {
    const exact = names.get(s);
    if (exact !== undefined) return exact;
    const p = prefixes.find(([k]) => s.startsWith(k));
    return p ? `${p[1]}${s.slice(p[0].length)}` : s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [one(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Why `user` cannot stand in for the scenario's pipeline `ref`, or undefined when it can. */
export function misfit(ref: PipelineConfig, user: PipelineConfig): string | undefined {
  if (ref.source.kind !== user.source.kind) return `a ${ref.source.kind} source`;
  if (ref.sink && !user.sink) return 'a Firehose sink';
  if (ref.dlq && !user.dlq) return 'a DLQ';
  if (ref.dlq?.firehoseErrorOutput && !user.dlq?.firehoseErrorOutput) return 'a Firehose error output in its DLQ';
  return undefined;
}

export function adaptScenario(loaded: LoadedScenario, user: StreamfixConfig): Adapted {
  const refNames = Object.keys(loaded.config.pipelines);
  if (refNames.length !== 1) return { skipped: `it drills ${refNames.length} pipelines together` };
  const refName = refNames[0]!;
  const ref = loaded.config.pipelines[refName]!;
  const fits = Object.entries(user.pipelines).filter(([, p]) => misfit(ref, p) === undefined);
  if (fits.length === 0) return { skipped: `no pipeline of your config has ${misfit(ref, Object.values(user.pipelines)[0]!)}` };
  const [name, pipeline] = fits[0]!;
  const config: StreamfixConfig = {
    ...user,
    pipelines: { [refName]: pipeline },
    routes: user.routes.filter((r) => r.pipeline === name).map((r) => ({ ...r, pipeline: refName })),
  };
  const names = namesMap({ ...loaded.config, pipelines: { [refName]: ref } }, config);
  const scenario = { ...loaded.scenario, world: rename(loaded.scenario.world, names), timeline: rename(loaded.scenario.timeline, names) };
  return { loaded: { file: loaded.file, scenario, config }, pipeline: name };
}

/** PASS: as the scenario expects; DIFF: handled differently than with its own config; FAIL: streamfix misbehaved. */
export type OwnVerdict = 'PASS' | 'DIFF' | 'FAIL';

export function ownVerdict(r: DrillResult, loaded: LoadedScenario): { verdict: OwnVerdict; why: string[] } {
  const broke: string[] = [];
  if (r.guardrailViolations.length > 0) broke.push(`guardrail violations: ${r.guardrailViolations.map((v) => v.detail).join('; ')}`);
  const allowedErrors = loaded.scenario.expect.invocationErrors ?? 0;
  if (r.invocations.errors > allowedErrors) broke.push(`${r.invocations.errors} invocation(s) threw (the scenario expects ${allowedErrors})`);
  if (broke.length > 0) return { verdict: 'FAIL', why: broke };
  return r.verdict === 'PASS' ? { verdict: 'PASS', why: [] } : { verdict: 'DIFF', why: r.failures };
}
