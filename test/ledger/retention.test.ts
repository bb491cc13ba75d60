import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../lambdas/adapters/dynamodb';
import type { Trigger } from '../../lambdas/core/trigger';
import type { Ledger } from '../../lambdas/ledger/ledger';
import { dynamoLedger } from '../../lambdas/engine/dynamo-ledger';
import { startDynalite } from '../helpers/dynalite';

/**
 * Audit items (incidents with their actions, timelines, operations and their progress) are kept for good
 * unless `ledger.auditRetentionDays` says otherwise: without it they carry no TTL attribute;
 * with it their `expiresAt` is that many days after the item's time. The guardrails' own items
 * (delivery claims, locks) keep their short TTLs either way.
 */
const T0 = Date.parse('2026-11-22T10:00:00Z');
const trigger: Trigger = { kind: 'job-run', eventId: 'e', dedupeKey: 'k', applicationId: 'app', jobRunId: 'r', state: 'FAILED', atMs: T0 };

describe('Ledger: retention of the audit trail', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let store: DynamoStore;
  beforeAll(async () => {
    db = await startDynalite();
    store = DynamoStore.fromOptions(db.aws, db.tableName);
  });
  afterAll(async () => db.close());

  async function write(ledger: Ledger, pipeline: string) {
    const { incident, ownership } = await ledger.incidents.openOrJoin(pipeline, 'job-failed', trigger, T0, { requestId: 'w', untilMs: T0 + 60_000 });
    await ledger.appendTimeline(incident.incidentId, T0, 'note', 'n');
    const action = { type: 'emr:StartJobRun', resource: 'r', description: 'd', params: {} };
    await ledger.incidents.save(
      { ...incident, status: 'acting', actions: [{ incidentId: incident.incidentId, index: 0, actionId: 'a#0', action, status: 'intent', startedAtMs: T0 }] },
      ownership!,
      T0,
    );
    await ledger.startOperation({
      operationId: `op-${pipeline}`,
      kind: 'dlq-replay',
      command: 'replay',
      params: {},
      status: 'running',
      startedAtMs: T0,
      updatedAtMs: T0,
      version: 0,
    });
    await ledger.putProgress(`op-${pipeline}`, 'u', {}, T0);
    await ledger.deliveries.claim(`d-${pipeline}`, 'w', T0, T0 + 1_000);
    const [meta, timeline] = await Promise.all([store.get(`INCIDENT#${incident.incidentId}`, 'META'), store.query(`INCIDENT#${incident.incidentId}`, 'T#')]);
    return {
      audit: [meta, ...timeline, await store.get(`OP#op-${pipeline}`, 'META'), await store.get(`OP#op-${pipeline}`, 'PROGRESS#u')],
      delivery: await store.get(`DELIVERY#d-${pipeline}`, '-'),
    };
  }

  it('keeps audit items for good by default (no TTL attribute)', async () => {
    const { audit, delivery } = await write(dynamoLedger(db.aws, db.tableName), 'keep');
    expect(audit).toHaveLength(4);
    for (const item of audit) expect(item).not.toHaveProperty('expiresAt');
    expect(delivery).toHaveProperty('expiresAt');
  });

  it('gives audit items a TTL of the configured days', async () => {
    const { audit } = await write(dynamoLedger(db.aws, db.tableName, { auditRetentionDays: 400 }), 'expire');
    for (const item of audit) expect(Number(item!.expiresAt)).toBe(Math.floor(T0 / 1000) + 400 * 86_400);
  });
});
