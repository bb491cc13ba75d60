import { SsmAdapter } from '../lambdas/adapters/ssm';
import type { PipelineConfig, StreamfixConfig } from '../lambdas/config/schema';
import { pauseParameterNames } from '../lambdas/core/names';
import type { PlaybookSettings } from '../lambdas/core/playbook';
import { ItemGuardrailStore, type BreakerState, type ResourceGuard } from '../lambdas/guardrails';
import { dynamoLedger } from '../lambdas/engine/dynamo-ledger';
import { clusterResource } from '../lambdas/playbooks/broker-health/manifest';
import { checkpointResource } from '../lambdas/playbooks/checkpoint-failure/diagnose';
import { streamResource } from '../lambdas/playbooks/firehose-delivery/diagnose';
import { jobResourceOf } from '../lambdas/runtimes';
import { manifests } from '../lambdas/playbooks/registry';
import { statusLabel } from './incidents';
import { columns, COMMON_USAGE, context, defaultIo, helped, iso, parse, pipelineOf, runCommand, str, type CliIo } from './common';

/**
 * `streamfix status [--pipeline P]`: what streamfix may do right now: each playbook's mode and
 * budget per pipeline, the pause switches, the locks and cooldowns of the resources it acts on
 * with the budget left this hour, the circuit breakers, and the open incidents. Read-only.
 */

export const STATUS_USAGE = `usage: streamfix status [--pipeline <name>]
${COMMON_USAGE}`;

const HOUR_MS = 3_600_000;
const isPaused = (v: string | undefined) => v !== undefined && v.trim() !== '' && v.trim().toLowerCase() !== 'off';

/**
 * The resources the playbooks act on for a pipeline (the keys of their locks, cooldowns and
 * budgets), each with the playbooks whose actions name it (their act.ts files).
 */
export function pipelineResources(p: PipelineConfig): { resource: string; actors: string[] }[] {
  return [
    { resource: jobResourceOf(p.job), actors: ['job-failed', 'consumer-lag', 'checkpoint-failure'] },
    ...(p.job.kind === 'emr-serverless' ? [{ resource: checkpointResource(p.job.checkpoint), actors: ['checkpoint-failure'] }] : []),
    ...(p.sink ? [{ resource: streamResource(p.sink.deliveryStreamName), actors: ['firehose-delivery'] }] : []),
    ...(p.source.kind === 'msk' ? [{ resource: clusterResource(p.source.clusterArn), actors: ['broker-health'] }] : []),
  ];
}

/** The playbooks that apply to the pipeline, with their settings. */
export function playbooksOf(p: PipelineConfig): { id: string; settings: PlaybookSettings }[] {
  return manifests.filter((m) => m.appliesTo(p)).map((m) => ({ id: m.id, settings: (p.playbooks as Record<string, PlaybookSettings>)[m.id]! }));
}

interface ResourceStatus {
  resource: string;
  lock?: { owner: string; until: string };
  cooldownUntil?: string;
  actionsLastHour: number;
  /** Left this hour of the smallest hourly budget among the playbooks that may act on it (mode auto or approve). */
  budgetLeft?: number;
}

function resourceStatus(g: ResourceGuard, budget: number | undefined, nowMs: number): ResourceStatus {
  const used = g.actionTimes.filter((t) => t > nowMs - HOUR_MS).length;
  return {
    resource: g.resource,
    ...(g.lock && g.lock.untilMs > nowMs ? { lock: { owner: g.lock.owner, until: iso(g.lock.untilMs) } } : {}),
    ...(g.cooldownUntilMs !== undefined && g.cooldownUntilMs > nowMs ? { cooldownUntil: iso(g.cooldownUntilMs) } : {}),
    actionsLastHour: used,
    ...(budget !== undefined ? { budgetLeft: Math.max(0, budget - used) } : {}),
  };
}

function breakerText(b: BreakerState | undefined, nowMs: number): string {
  if (!b) return 'closed';
  if (b.openUntilMs !== undefined && b.openUntilMs > nowMs) return `OPEN until ${iso(b.openUntilMs)}: ${b.openedReason ?? ''} (streamfix breaker reset)`;
  return `closed${b.consecutiveVerifyFailures > 0 ? ` (${b.consecutiveVerifyFailures} failed verification(s) in a row)` : ''}${b.lastFixAtMs !== undefined ? `, last fix ${iso(b.lastFixAtMs)}` : ''}`;
}

export async function statusCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, STATUS_USAGE, async () => {
    const { values: v } = parse(args, { pipeline: { type: 'string' } });
    if (helped(v, io, STATUS_USAGE)) return 0;
    const ctx = await context(v, io);
    const only = pipelineOf(ctx.config, str(v, 'pipeline'), false);
    const config: StreamfixConfig = ctx.config;
    const names = Object.keys(config.pipelines).filter((p) => only === undefined || p === only);
    const ledger = dynamoLedger(ctx.aws, ctx.table);
    const store = new ItemGuardrailStore(ledger.store);
    const switches = pauseParameterNames(config.name, names);
    // Each known resource's GUARD# item and each breaker's BREAKER# item, read by key (GetItem):
    // items written before the index entries existed are found too.
    const resourceKeys = [...new Set(names.flatMap((n) => pipelineResources(config.pipelines[n]!).map((r) => r.resource)))];
    const breakerKeys = names.flatMap((n) => playbooksOf(config.pipelines[n]!).map((b) => `${n}#${b.id}`));
    const [params, guards, breakers, open] = await Promise.all([
      SsmAdapter.fromOptions(ctx.aws).getParameters(switches),
      Promise.all(resourceKeys.map((r) => store.readResource(r))),
      Promise.all(breakerKeys.map(async (key) => ({ key, state: await store.readBreaker(key) }))),
      ledger.incidents.listOpen(),
    ]);
    const now = ctx.clock.now();
    const guardOf = new Map(guards.map((g) => [g.resource, g]));
    const breakerOf = new Map(breakers.map((b) => [b.key, b.state]));
    const globalPause = params[switches[0]!];
    const pipelines = names.map((name) => {
      const p = config.pipelines[name]!;
      const own = params[switches[names.indexOf(name) + 1]!];
      const paused = p.paused
        ? 'paused in the config'
        : isPaused(globalPause)
          ? `paused (everything): ${globalPause}`
          : isPaused(own)
            ? `paused: ${own}`
            : 'running';
      const books = playbooksOf(p);
      const acting = books.filter((b) => b.settings.mode === 'auto' || b.settings.mode === 'approve');
      const budgetOf = (actors: string[]) => {
        const on = acting.filter((b) => actors.includes(b.id));
        return on.length ? Math.min(...on.map((b) => b.settings.maxActionsPerHour)) : undefined;
      };
      return {
        pipeline: name,
        pause: paused,
        playbooks: books.map((b) => ({
          id: b.id,
          mode: b.settings.mode,
          maxActionsPerHour: b.settings.maxActionsPerHour,
          cooldownSeconds: b.settings.cooldownSeconds,
          breaker: breakerText(breakerOf.get(`${name}#${b.id}`), now),
        })),
        resources: pipelineResources(p).map((r) =>
          resourceStatus(guardOf.get(r.resource) ?? { resource: r.resource, actionTimes: [], version: 0 }, budgetOf(r.actors), now),
        ),
        openIncidents: open
          .filter((i) => i.pipeline === name)
          .map((i) => ({
            incidentId: i.incidentId,
            playbook: i.playbook,
            status: statusLabel(i, now),
            openedAt: iso(i.openedAtMs),
            decision: i.decision ? `${i.decision.kind} ${i.decision.reason}` : null,
          })),
      };
    });
    const pauseSwitches = Object.fromEntries(switches.map((n) => [n, params[n] ?? '(not set: off)']));
    if (ctx.json) {
      io.out(JSON.stringify({ config: config.name, region: ctx.region, table: ctx.table, at: iso(now), pauseSwitches, pipelines }, null, 2));
      return 0;
    }
    const out: string[] = [
      `streamfix ${config.name} · ${ctx.region} · ledger ${ctx.table} · ${iso(now)}`,
      '',
      'pause switches',
      ...columns(Object.entries(pauseSwitches).map(([n, val]) => [`  ${n}`, val])),
    ];
    for (const p of pipelines) {
      out.push('', `pipeline ${p.pipeline}: ${p.pause}`, '  playbooks');
      out.push(
        ...columns(p.playbooks.map((b) => [`    ${b.id}`, b.mode, `${b.maxActionsPerHour}/h, cooldown ${b.cooldownSeconds} s`, `breaker ${b.breaker}`])),
      );
      out.push('  resources');
      out.push(
        ...columns(
          p.resources.map((r) => [
            `    ${r.resource}`,
            r.lock ? `locked by ${r.lock.owner} until ${r.lock.until}` : 'unlocked',
            r.cooldownUntil ? `cooling down until ${r.cooldownUntil}` : 'no cooldown',
            `${r.actionsLastHour} action(s) in the last hour${r.budgetLeft !== undefined ? `, ${r.budgetLeft} left` : ''}`,
          ]),
        ),
      );
      out.push('  open incidents');
      out.push(...(p.openIncidents.length === 0 ? ['    none'] : columns(p.openIncidents.map((i) => [`    ${i.incidentId}`, i.status, i.decision ?? '—']))));
    }
    io.out(out.join('\n'));
    return 0;
  });
}
