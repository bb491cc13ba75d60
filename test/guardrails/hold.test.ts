import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ManualClock } from '../../lambdas/core/clock';
import type { ActionDefinition, PlaybookSettings } from '../../lambdas/core/playbook';
import { DynamoStore } from '../../lambdas/adapters/dynamodb';
import { Guardrails, HELD_UNTIL_RELEASED_MS, ItemGuardrailStore, PauseReader, type GateRequest } from '../../lambdas/guardrails';
import { MemoryItemStore, type ItemStore } from '../../lambdas/ledger/item-store';
import type { PipelineConfig } from '../../lambdas/config/schema';
import { startDynalite } from '../helpers/dynalite';

/**
 * A manual operation that changes a job's checkpoint holds the job's lock (the one the
 * playbooks' restart and scale actions take through the gate) until the checkpoint is whole
 * again, across invocations: `holdLock` / `releaseHold`. Same contract on DynamoDB (dynalite)
 * and in memory.
 */

const T0 = Date.parse('2026-11-22T10:00:00Z');
const JOB = 'emr-serverless:00f1:orders-stream';
const settings: PlaybookSettings = {
  mode: 'auto',
  cooldownSeconds: 300,
  maxActionsPerHour: 4,
  verifyAfterSeconds: 60,
  verifyDeadlineSeconds: 600,
  breakerWindowSeconds: 600,
  breakerMaxVerifyFailures: 2,
  breakerOpenSeconds: 3600,
  maxRechecks: 3,
  bounds: {},
};
const restart: ActionDefinition<Record<string, never>> = {
  type: 'restart',
  iamActions: [],
  params: z.object({}).strict(),
  checkBounds: () => [],
  execute: async () => ({ summary: 'ok', before: {}, after: {} }),
};
const req = (owner: string, nowMs: number): GateRequest => ({
  pipelineName: 'orders',
  pipeline: { paused: false } as PipelineConfig,
  playbook: 'job-failed',
  settings,
  owner,
  actions: [{ action: { type: 'restart', resource: JOB, params: {}, description: 'restart' }, def: restart as ActionDefinition, started: false }],
  nowMs,
  lockUntilMs: nowMs + 60_000,
  continuing: false,
});

describe.each([{ backend: 'dynalite' as const }, { backend: 'memory' as const }])('Class: ItemGuardrailStore, held locks (on $backend)', ({ backend }) => {
  let db: Awaited<ReturnType<typeof startDynalite>> | undefined;
  let items: ItemStore;
  beforeAll(async () => {
    if (backend === 'memory') {
      items = new MemoryItemStore();
      return;
    }
    db = await startDynalite();
    items = DynamoStore.fromOptions(db.aws, db.tableName);
  });
  afterAll(async () => db?.close());

  const setup = (resource: string) => {
    const clock = new ManualClock(T0);
    const store = new ItemGuardrailStore(items);
    const guardrails = new Guardrails(store, new PauseReader({ getParameters: async () => ({}) }, clock, { global: '/p', pipelinePrefix: '/p/' }, 0));
    const r = (owner: string, nowMs: number) => ({
      ...req(owner, nowMs),
      actions: req(owner, nowMs).actions.map((a) => ({ ...a, action: { ...a.action, resource } })),
    });
    return { store, guardrails, r };
  };

  it('an operation holding the job: every fix is refused LOCKED with a recheck, naming the operation and why, however much later; released, the fix goes', async () => {
    // Prepare
    const { store, guardrails, r } = setup(`${JOB}#1`);
    const held = await store.holdLock(`${JOB}#1`, 'operation:op-1', 'restore of s3://b/cp/ in progress', T0);
    // Act
    const soon = await guardrails.gate(r('inc-1', T0 + 1));
    const aWeekLater = await guardrails.gate(r('inc-2', T0 + 7 * 86_400_000));
    await store.releaseHold(`${JOB}#1`, 'operation:op-1', T0 + 7 * 86_400_000);
    const released = await guardrails.gate(r('inc-3', T0 + 7 * 86_400_000 + 1));
    // Assess
    expect(held).toMatchObject({ ok: true, guard: { lock: { owner: 'operation:op-1', untilMs: HELD_UNTIL_RELEASED_MS, sinceMs: T0 } } });
    for (const v of [soon, aWeekLater]) {
      expect(v).toMatchObject({ ok: false, stage: 'lock', reason: 'LOCKED', retryAfterSeconds: 60 });
      expect(v.ok ? '' : v.summary).toBe(`${JOB}#1 is held by operation:op-1 until it releases it (restore of s3://b/cp/ in progress)`);
    }
    expect(released).toMatchObject({ ok: true, locks: [`${JOB}#1`] });
  });

  it('is refused while a fix holds the job, naming the holder; taken again by its owner, it keeps its start', async () => {
    const { store, guardrails, r } = setup(`${JOB}#2`);
    expect(await guardrails.gate(r('inc-9', T0))).toMatchObject({ ok: true });
    const refused = await store.holdLock(`${JOB}#2`, 'operation:op-2', 'rollback', T0 + 1_000);
    expect(refused).toEqual({ ok: false, guard: expect.objectContaining({ lock: { owner: 'inc-9', untilMs: T0 + 60_000 } }) });
    // The fix's lease has run out (its worker died): the operation may take it.
    expect(await store.holdLock(`${JOB}#2`, 'operation:op-2', 'rollback', T0 + 60_000)).toMatchObject({ ok: true });
    expect(await store.holdLock(`${JOB}#2`, 'operation:op-2', 'rollback (resumed)', T0 + 90_000)).toMatchObject({
      ok: true,
      guard: { lock: { sinceMs: T0 + 60_000, reason: 'rollback (resumed)' } },
    });
    expect(await store.holdLock(`${JOB}#2`, 'operation:op-3', 'reset', T0 + 90_000)).toMatchObject({ ok: false, guard: { lock: { owner: 'operation:op-2' } } });
    // Only its owner releases it.
    await store.releaseHold(`${JOB}#2`, 'operation:op-3', T0 + 90_000);
    expect((await store.readResource(`${JOB}#2`)).lock).toMatchObject({ owner: 'operation:op-2' });
    await store.releaseHold(`${JOB}#2`, 'operation:op-2', T0 + 90_000);
    expect((await store.readResource(`${JOB}#2`)).lock).toBeUndefined();
  });

  it('lets exactly one of many concurrent operations hold a resource', async () => {
    const { store } = setup(`${JOB}#3`);
    const r = await Promise.all(Array.from({ length: 6 }, (_, i) => store.holdLock(`${JOB}#3`, `operation:op-${i}`, 'x', T0)));
    expect(r.filter((x) => x.ok)).toHaveLength(1);
  });
});
