import { beforeAll, describe, expect, it } from 'vitest';
import type { StreamfixConfig } from '../../../lambdas/config';
import { seedSealedBackup } from '../../../drills/checkpoint';
import { emptyKafkaFaultStats } from '../../../drills/proof/kafka-faults';
import { checkOperations, DestructionWatch, heldByVerifiedBackup } from '../../../drills/proof/operations';
import { loadScenario } from '../../../drills/scenario/load';
import { DEFAULT_SCENARIO_DIR } from '../../../drills/proof/proof';
import { SimWorld } from '../../../drills/sim/world';
import { resolve } from 'node:path';

/** The proof's figures for the manual operations: each counts what it must, and nothing else. */

const T0 = Date.parse('2026-01-01T00:00:00Z');
const BUCKET = 'orders-data-lake';
const CP = `s3://${BUCKET}/_checkpoints/streaming/orders/`;
const world = () => new SimWorld({ startMs: T0, account: '123456789012', region: 'eu-west-1', jobs: [], applicationIds: [] });
const replay = { command: 'replay', pipeline: 'orders', errorTypes: ['validation_error'], target: { kind: 'kafka' }, dryRun: false, confirm: true };

describe('proof figures for the manual operations', () => {
  let config: StreamfixConfig;
  beforeAll(async () => {
    config = (await loadScenario(resolve(DEFAULT_SCENARIO_DIR, 'dlq-replay-concurrent.yaml'))).config;
  });

  describe('Function: heldByVerifiedBackup', () => {
    it('holds bytes a sealed backup lists with their SHA-256 and still has; not other bytes of the same size, nor a changed copy, nor a sizes-only seal', () => {
      // Prepare
      const w = world();
      w.s3.createBucket(BUCKET);
      w.s3.put(BUCKET, '_checkpoints/streaming/orders/commits/7', 'v1\n{"nextBatchWatermarkMs":0}');
      w.s3.put(BUCKET, '_checkpoints/streaming/orders/offsets/7', 'v1\n{"a":1}');
      seedSealedBackup(w, CP, '20251231T230000Z');
      const key = '_checkpoints/streaming/orders/commits/7';
      // Act / Assess
      expect(heldByVerifiedBackup(w, { bucket: BUCKET, key, body: Buffer.from('v1\n{"nextBatchWatermarkMs":0}') })).toBe(true);
      expect(heldByVerifiedBackup(w, { bucket: BUCKET, key, body: Buffer.from('v1\n{"nextBatchWatermarkMs":1}') })).toBe(false);
      expect(
        heldByVerifiedBackup(w, { bucket: BUCKET, key: '_checkpoints/streaming/orders/commits/8', body: Buffer.from('v1\n{"nextBatchWatermarkMs":0}') }),
      ).toBe(false);
      w.s3.put(BUCKET, '_checkpoints/streaming/orders_backup_20251231T230000Z/offsets/7', 'v1\n{"a":2}');
      expect(heldByVerifiedBackup(w, { bucket: BUCKET, key: '_checkpoints/streaming/orders/offsets/7', body: Buffer.from('v1\n{"a":1}') })).toBe(false);
      // A backup sealed by an older streamfix (sizes only) proves nothing.
      const manifest = '_checkpoints/streaming/orders_backup_20251231T230000Z/_streamfix_backup.json';
      const m = JSON.parse(w.s3.object(BUCKET, manifest)!.body.toString('utf8')) as Record<string, unknown>;
      w.s3.put(BUCKET, manifest, JSON.stringify({ ...m, version: 1 }));
      expect(heldByVerifiedBackup(w, { bucket: BUCKET, key, body: Buffer.from('v1\n{"nextBatchWatermarkMs":0}') })).toBe(false);
    });
  });

  describe('Function: checkOperations', () => {
    const operator = (w: SimWorld, id: string, requestId: string, ended = true) =>
      w.record.invocations.push({
        invocationId: id,
        functionName: 'streamfix-dlq-replay',
        source: 'operator',
        attempt: 1,
        requestId,
        startedAtMs: T0,
        ...(ended ? { endedAtMs: T0 + 60_000, result: { outcome: 'done' } } : {}),
        payload: replay,
      });
    const sent = (w: SimWorld, invocationId: string, send: number, ids: string[], atMs = T0 + send * 1_000) =>
      w.dlq.produced.push(...ids.map((replayId) => ({ topic: 'orders.raw', replayId, replayOf: replayId, atMs, invocationId, send })));

    it('counts copies beyond the first as sent twice, less one per send whose outcome its sender could not know', () => {
      const w = world();
      const watch = new DestructionWatch(w);
      operator(w, 'a', 'r-a', false);
      operator(w, 'b', 'r-a');
      sent(w, 'a', 1, ['x1', 'x2']);
      sent(w, 'a', 2, ['x3', 'x4']);
      // The retry sends the dead attempt's last batch again (the window), and x1 again (beyond it).
      sent(w, 'b', 3, ['x3', 'x4', 'x1', 'x5']);
      const f = checkOperations(w, config, watch, emptyKafkaFaultStats());
      expect(f).toMatchObject({ replayedTwice: 1, replayedTwiceInWindow: 2, replayedRecords: 5 });
      expect(f.details.join()).toContain('record x1 reached the topic 2×');
      // A lost answer of the first send makes x1's copy one of the window too.
      const lost = { ...emptyKafkaFaultStats(), lost: [{ invocationId: 'a', replayIds: ['x1', 'x2'] }] };
      expect(checkOperations(w, config, watch, lost)).toMatchObject({ replayedTwice: 0, replayedTwiceInWindow: 3 });
    });

    it('counts runs that changed one target at the same time, not one after the other', () => {
      const w = world();
      const watch = new DestructionWatch(w);
      operator(w, 'a', 'r-a');
      operator(w, 'b', 'r-b');
      sent(w, 'a', 1, ['x1'], T0 + 1_000);
      sent(w, 'a', 2, ['x2'], T0 + 5_000);
      sent(w, 'b', 3, ['x3'], T0 + 6_000);
      expect(checkOperations(w, config, watch, emptyKafkaFaultStats()).besideOnTarget).toBe(0);
      sent(w, 'b', 4, ['x4'], T0 + 4_000);
      const f = checkOperations(w, config, watch, emptyKafkaFaultStats());
      expect(f.besideOnTarget).toBe(2);
      expect(f.details.join()).toContain('changed dlq:s3://orders-data-lake/dlq/orders/');
    });
  });
});
