import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/schema';
import {
  authorizeCheckpointOps,
  checkpointOperationId,
  checkpointOpsPayload,
  type CheckpointOpsPayloadInput,
} from '../../../lambdas/operations/checkpoint-ops/payload';
import exampleConfig from '../../../streamfix.config';

const config = parseConfig(exampleConfig);
const CP = 's3://orders-data-lake/_checkpoints/streaming/orders/';
const BACKUP = 's3://orders-data-lake/_checkpoints/streaming/orders_backup_20261122T095900Z/';
const refusals = (input: CheckpointOpsPayloadInput) => authorizeCheckpointOps(checkpointOpsPayload.parse(input), config);

describe('Function: authorizeCheckpointOps', () => {
  it('allows a confirmed rollback of a configured pipeline, and an inspection without an id', () => {
    expect(refusals({ command: 'rollback', pipeline: 'orders', requestId: 'r1', toBatch: 10, confirm: true })).toEqual([]);
    expect(refusals({ command: 'inspect', pipeline: 'orders' })).toEqual([]);
    expect(refusals({ command: 'restore', pipeline: 'orders', requestId: 'r1', fromBackup: BACKUP, confirm: true })).toEqual([]);
  });

  it.each<[string, CheckpointOpsPayloadInput, string]>([
    ['an unknown pipeline', { command: 'inspect', pipeline: 'payments' }, 'pipeline'],
    ['a mutation without confirm', { command: 'reset', pipeline: 'orders', requestId: 'r', to: 'latest' }, 'confirm'],
    ['a backup without a request id', { command: 'backup', pipeline: 'orders' }, 'requestId'],
    [
      'a backup of another checkpoint to rely on',
      {
        command: 'rollback',
        pipeline: 'orders',
        requestId: 'r',
        toBatch: 1,
        confirm: true,
        backupUri: 's3://orders-data-lake/_checkpoints/streaming/payments_backup_20261122T095900Z/',
      },
      'backupUri',
    ],
    [
      "a restore from outside the checkpoint's backups",
      { command: 'restore', pipeline: 'orders', requestId: 'r', confirm: true, fromBackup: 's3://other-bucket/orders/' },
      'fromBackup',
    ],
    ['a restore from the checkpoint itself', { command: 'restore', pipeline: 'orders', requestId: 'r', confirm: true, fromBackup: CP }, 'fromBackup'],
    [
      'an inspection outside the configured checkpoint',
      { command: 'inspect', pipeline: 'orders', checkpoint: 's3://orders-data-lake/_checkpoints/streaming/' },
      'checkpoint',
    ],
    ['savepoints outside the configured checkpoint', { command: 'inspect', pipeline: 'orders', savepoints: 's3://orders-data-lake/savepoints/' }, 'savepoints'],
    ['a timestamp reset without a timestamp', { command: 'reset', pipeline: 'orders', requestId: 'r', confirm: true, to: 'timestamp' }, 'timestamp'],
  ])('refuses %s, naming the field', (_what, input, field) => {
    expect(refusals(input).map((r) => r.field)).toEqual([field]);
  });

  it('rejects a payload that is not one of the commands, naming the field', () => {
    const r = checkpointOpsPayload.safeParse({ command: 'rollback', pipeline: 'orders', requestId: 'r', toBatch: -1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['toBatch']);
    expect(checkpointOpsPayload.safeParse({ command: 'drop', pipeline: 'orders' }).success).toBe(false);
    expect(checkpointOpsPayload.safeParse({ command: 'reset', pipeline: 'orders', requestId: 'r', to: 'yesterday' }).error?.issues[0]?.path).toEqual(['to']);
  });
});

describe('Schema: checkpoint-ops payload bounds (fields that become part of the operation id or record)', () => {
  it.each([
    ['a 3 KB pipeline', { command: 'inspect', pipeline: 'p'.repeat(3_000) }, 'pipeline'],
    ['a 65-character request id', { command: 'backup', pipeline: 'orders', requestId: 'r'.repeat(65) }, 'requestId'],
    [
      'a 2 KB backup URI',
      { command: 'reset', pipeline: 'orders', requestId: 'r', to: 'latest', backupUri: `s3://orders-data-lake/${'k'.repeat(2_000)}/` },
      'backupUri',
    ],
    [
      'a requester that is not a principal ARN',
      { command: 'backup', pipeline: 'orders', requestId: 'r', requestedBy: { arn: 'jane', account: '123456789012', userId: 'u' } },
      'requestedBy',
    ],
  ])('rejects %s, naming %s', (_name, input, field) => {
    const r = checkpointOpsPayload.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path[0]).toEqual(field);
  });
});

describe('Function: checkpointOperationId', () => {
  it('names an operation by pipeline, command and request id, so a repeat continues it', () => {
    const p = checkpointOpsPayload.parse({ command: 'backup', pipeline: 'orders', requestId: '20261122T100000Z' });
    expect(checkpointOperationId(p)).toBe('checkpoint-ops.orders.backup.20261122T100000Z');
    const a = checkpointOperationId(checkpointOpsPayload.parse({ command: 'inspect', pipeline: 'orders' }));
    const b = checkpointOperationId(checkpointOpsPayload.parse({ command: 'inspect', pipeline: 'orders', maxFileReads: 50 }));
    expect(a).not.toBe(b);
  });
});
