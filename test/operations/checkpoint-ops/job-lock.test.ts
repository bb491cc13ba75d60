import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { AwsAdapters } from '../../../lambdas/adapters';
import type { CopyResult, DeleteTarget } from '../../../lambdas/core/object-store';
import { readBackupManifest } from '../../../lambdas/analysis/checkpoint';
import { parseConfig } from '../../../lambdas/schema';
import { ManualClock } from '../../../lambdas/core/clock';
import type { ActionDefinition, PlaybookSettings } from '../../../lambdas/core/playbook';
import { Guardrails, ItemGuardrailStore, PauseReader, type GateVerdict } from '../../../lambdas/guardrails';
import { Ledger } from '../../../lambdas/ledger/ledger';
import {
  checkpointOperationId,
  checkpointOpsOperation,
  checkpointOpsPayload,
  type CheckpointOpsPayloadInput,
} from '../../../lambdas/operations/checkpoint-ops';
import type { OperationContext, OperationResult } from '../../../lambdas/operations/types';
import { emrPipeline } from '../../helpers/pipelines';
import type { PipelineConfig } from '../../../lambdas/config/schema';
import exampleConfig from '../../../streamfix.config';
import { sparkCheckpoint } from '../../helpers/checkpoint-layout';
import { MemoryS3 } from '../../helpers/memory-s3';

/**
 * Issue 13, point 2: checkpoint operations and playbooks share one lock (the job's), a restore
 * runs in bounded slices with the job checked before each, and a half-restored checkpoint can be
 * resumed or undone but never started on.
 */

const T0 = Date.parse('2026-11-22T10:00:00Z');
const BUCKET = 'orders-data-lake';
const PREFIX = '_checkpoints/streaming/orders/';
const CP = `s3://${BUCKET}/${PREFIX}`;
const config = parseConfig(exampleConfig);
const JOB = emrPipeline(config.pipelines.orders).job;
const JOB_RESOURCE = `emr-serverless:${JOB.applicationId}:${JOB.jobName}`;

/** S3 in memory that can stop answering copies (the invocation dies) or call back on a copy or a deletion. */
class ScriptedS3 extends MemoryS3 {
  hangCopiesAfter = Number.POSITIVE_INFINITY;
  onCopy?: (n: number) => void | Promise<void>;
  onDelete?: () => void | Promise<void>;
  override async copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string): Promise<CopyResult> {
    if (this.requests.copy >= this.hangCopiesAfter) return new Promise<never>(() => undefined);
    await this.onCopy?.(this.requests.copy + 1);
    return super.copyObject(srcBucket, srcKey, dstBucket, dstKey);
  }
  override async deleteObjects(bucket: string, keys: readonly DeleteTarget[]): Promise<void> {
    await this.onDelete?.();
    return super.deleteObjects(bucket, keys);
  }
}

const settings: PlaybookSettings = {
  mode: 'auto',
  cooldownSeconds: 0,
  maxActionsPerHour: 100,
  verifyAfterSeconds: 60,
  verifyDeadlineSeconds: 600,
  breakerWindowSeconds: 600,
  breakerMaxVerifyFailures: 9,
  breakerOpenSeconds: 3600,
  maxRechecks: 3,
  bounds: {},
};
const restart: ActionDefinition<Record<string, never>> = {
  type: 'StartJobRun',
  iamActions: [],
  params: z.object({}).strict(),
  checkBounds: () => [],
  execute: async () => ({ summary: 'ok', before: {}, after: {} }),
};

function world() {
  const clock = new ManualClock(T0);
  const s3 = new ScriptedS3({ now: () => clock.now() });
  // 300 batches, state of one partition: about 900 objects.
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 300, retain: 300, startMs: T0 - 7_200_000, statePartitions: 1 }))
    s3.seed(BUCKET, o.key, o.body, o.atMs);
  const runs: { jobRunId: string; name: string; state: string }[] = [];
  const emr = { listJobRuns: async () => runs.filter((r) => ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'CANCELLING', 'QUEUED'].includes(r.state)) };
  const ledger = Ledger.inMemory();
  const store = new ItemGuardrailStore(ledger.store);
  const guardrails = new Guardrails(store, new PauseReader({ getParameters: async () => ({}) }, clock, { global: '/p', pipelinePrefix: '/p/' }, 0));
  /** A playbook's fix on the job (job-failed's restart), through the gate. */
  const fix = (incidentId: string): Promise<GateVerdict> =>
    guardrails.gate({
      pipelineName: 'orders',
      pipeline: config.pipelines.orders as PipelineConfig,
      playbook: 'job-failed',
      settings,
      owner: incidentId,
      actions: [
        { action: { type: 'StartJobRun', resource: JOB_RESOURCE, params: {}, description: 'restart' }, def: restart as ActionDefinition, started: false },
      ],
      nowMs: clock.now(),
      lockUntilMs: clock.now() + 60_000,
      continuing: false,
    });
  async function op(input: CheckpointOpsPayloadInput, remainingMs: () => number = () => Number.POSITIVE_INFINITY): Promise<OperationResult> {
    const p = checkpointOpsPayload.parse(input);
    const operationId = checkpointOperationId(p);
    const { record } = await ledger.startOperation({
      operationId,
      kind: 'checkpoint-ops',
      command: p.command,
      pipeline: p.pipeline,
      params: p as Record<string, unknown>,
      status: 'running',
      startedAtMs: clock.now(),
      updatedAtMs: clock.now(),
      version: 0,
    });
    const ctx: OperationContext = {
      operationId,
      config,
      clock,
      aws: { s3, emr } as unknown as AwsAdapters,
      ledger,
      logger: new Logger({ logLevel: 'SILENT' }),
      signal: new AbortController().signal,
      remainingMs,
      record,
    };
    const r = await checkpointOpsOperation.run(p, ctx);
    const latest = (await ledger.getOperation(operationId))!;
    await ledger.saveOperation({ ...latest, status: r.status, result: r.result }, clock.now());
    return r;
  }
  return { clock, s3, runs, ledger, store, fix, op };
}

/**
 * A sealed backup of the checkpoint as it is; then the checkpoint changed: every offsets file
 * rewritten (other batch times), 40 more batches, and the newest offsets file corrupt. A restore
 * deletes 80 objects and overwrites 300.
 */
async function backedUpThenChanged(w: ReturnType<typeof world>): Promise<string> {
  const b = await w.op({ command: 'backup', pipeline: 'orders', requestId: 'b1' });
  for (const o of sparkCheckpoint({ prefix: PREFIX, batches: 340, retain: 340, startMs: T0 - 3_600_000 }))
    if (/(offsets|commits)\/\d+$/.test(o.key)) w.s3.seed(BUCKET, o.key, o.body, T0);
  w.s3.seed(BUCKET, `${PREFIX}offsets/339`, '', T0);
  return String(b.result.backupUri);
}

/** Whether the checkpoint holds exactly the backup's objects, byte for byte. */
function holdsBackup(s3: MemoryS3, backupUri: string): boolean {
  const bp = backupUri.slice(`s3://${BUCKET}/`.length);
  const want = new Map(
    s3
      .keys(BUCKET, bp)
      .filter((k) => !k.endsWith('_streamfix_backup.json'))
      .map((k) => [k.slice(bp.length), s3.objects.get(`${BUCKET}/${k}`)!.body]),
  );
  const have = new Map(s3.keys(BUCKET, PREFIX).map((k) => [k.slice(PREFIX.length), s3.objects.get(`${BUCKET}/${k}`)!.body]));
  return want.size === have.size && [...want].every(([k, v]) => have.get(k) === v);
}

const restore = (fromBackup: string, extra: Record<string, unknown> = {}): CheckpointOpsPayloadInput =>
  ({ command: 'restore', pipeline: 'orders', requestId: 's1', confirm: true, fromBackup, ...extra }) as CheckpointOpsPayloadInput;

describe('Operation: checkpoint-ops and the job lock (issue 13, point 2)', () => {
  it("is refused while a playbook's fix holds the job lock, naming the incident; nothing is changed", async () => {
    // Prepare
    const w = world();
    const backup = await backedUpThenChanged(w);
    expect(await w.fix('orders.job-failed.20261122T100000.abc123')).toMatchObject({ ok: true });
    const before = w.s3.keys(BUCKET, PREFIX).length;
    // Act
    const e = await w.op(restore(backup)).catch((x: unknown) => x);
    const r = await w.op({ command: 'rollback', pipeline: 'orders', requestId: 'r1', toBatch: 338, confirm: true, backupUri: backup }).catch((x: unknown) => x);
    // Assess
    expect(e).toMatchObject({ field: 'pipeline' });
    expect((e as Error).message).toContain(`a fix holds the job ${JOB_RESOURCE} (incident orders.job-failed.20261122T100000.abc123)`);
    expect(r).toMatchObject({ field: 'pipeline' });
    expect(w.s3.keys(BUCKET, PREFIX).length).toBe(before);
    expect((await w.store.readResource(JOB_RESOURCE)).lock?.owner).toBe('orders.job-failed.20261122T100000.abc123');
  });

  it("a restore stopped near its deadline keeps the job locked: the playbooks' gate answers LOCKED (look again) until it is finished; the result says the pipeline is paused", async () => {
    // Prepare
    const w = world();
    const backup = await backedUpThenChanged(w);
    const copiesBefore = w.s3.requests.copy;
    // The function has time for the safety backup and one slice of the restore, then its deadline comes near.
    const safetyCopies = w.s3.keys(BUCKET, PREFIX).length;
    const remaining = () => (w.s3.requests.copy - copiesBefore > safetyCopies + 100 ? 60_000 : 800_000);
    // Act
    const first = await w.op(restore(backup), remaining);
    const gateMeanwhile = await w.fix('inc-lag-1');
    const rest = await w.op(restore(backup));
    const gateAfter = await w.fix('inc-lag-2');
    // Assess
    expect(first).toMatchObject({
      status: 'partial',
      continueWith: { command: 'restore', requestId: 's1' },
      result: { pipelinePaused: { lock: `GUARD#${JOB_RESOURCE}`, owner: 'operation:checkpoint-ops.orders.restore.s1' } },
    });
    expect(first.summary).toContain('the job stays locked (pipeline paused for the playbooks)');
    expect(gateMeanwhile).toMatchObject({ ok: false, stage: 'lock', reason: 'LOCKED', retryAfterSeconds: 60 });
    expect(gateMeanwhile.ok ? '' : gateMeanwhile.summary).toContain('held by operation:checkpoint-ops.orders.restore.s1 until it releases it (restore of');
    expect(rest).toMatchObject({ status: 'done', result: { pipelinePaused: false, verifiedByContent: true } });
    expect(Number(rest.result.slices)).toBeGreaterThan(3);
    expect(holdsBackup(w.s3, backup)).toBe(true);
    expect(gateAfter).toMatchObject({ ok: true });
  });

  it('a restore that died half-way is resumed by the same request and ends whole (a rerun used to be refused); meanwhile the job stays locked', async () => {
    // Prepare: the invocation dies after 150 of its restore's copies (no answer, nothing more runs).
    const w = world();
    const backup = await backedUpThenChanged(w);
    const safetyCopies = w.s3.keys(BUCKET, PREFIX).length;
    w.s3.hangCopiesAfter = w.s3.requests.copy + safetyCopies + 150;
    void w.op(restore(backup));
    for (let i = 0; i < 200 && w.s3.requests.copy < w.s3.hangCopiesAfter; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    const halfway = holdsBackup(w.s3, backup);
    const gate = await w.fix('inc-1');
    // Act: Lambda's retry (the same payload) resumes it.
    w.s3.hangCopiesAfter = Number.POSITIVE_INFINITY;
    const resumed = await w.op(restore(backup));
    // Assess
    expect(halfway).toBe(false);
    expect(gate).toMatchObject({ ok: false, reason: 'LOCKED' });
    expect(resumed).toMatchObject({ status: 'done', result: { pipelinePaused: false } });
    expect(resumed.summary).toContain(`restored ${CP} from ${backup}`);
    expect(holdsBackup(w.s3, backup)).toBe(true);
    expect((await w.store.readResource(JOB_RESOURCE)).lock).toBeUndefined();
  });

  it('checks the job before every slice: a run started during the restore stops it, the job stays locked, and the result says what to do', async () => {
    const w = world();
    const backup = await backedUpThenChanged(w);
    const safetyCopies = w.s3.keys(BUCKET, PREFIX).length;
    const start = w.s3.requests.copy + safetyCopies + 10;
    // A person starts the job while the restore copies.
    w.s3.onCopy = (n) => {
      if (n >= start && w.runs.length === 0) w.runs.push({ jobRunId: 'jr-person', name: JOB.jobName, state: 'RUNNING' });
    };
    const r = await w.op(restore(backup));
    expect(r).toMatchObject({
      status: 'failed',
      result: { pipelinePaused: { owner: 'operation:checkpoint-ops.orders.restore.s1' } },
      continueWith: { requestId: 's1' },
    });
    expect(r.summary).toContain(`run jr-person of ${JOB.jobName} is RUNNING while ${CP} is half restored: stop it now`);
    // It stopped at the slice boundary: no more than one slice was copied after the run started.
    expect(w.s3.requests.copy - start).toBeLessThanOrEqual(250);
    expect(await w.fix('inc-2')).toMatchObject({ ok: false, reason: 'LOCKED' });
  });

  it('undo puts back the checkpoint as it was before a half-done restore, and releases the lock', async () => {
    const w = world();
    const backup = await backedUpThenChanged(w);
    const asItWas = new Map(w.s3.keys(BUCKET, PREFIX).map((k) => [k, w.s3.objects.get(`${BUCKET}/${k}`)!.body]));
    const safetyCopies = w.s3.keys(BUCKET, PREFIX).length;
    const copiesBefore = w.s3.requests.copy;
    const first = await w.op(restore(backup), () => (w.s3.requests.copy - copiesBefore > safetyCopies + 100 ? 60_000 : 800_000));
    expect(first.status).toBe('partial');
    const undone = await w.op(restore(backup, { undo: true }));
    expect(undone).toMatchObject({ status: 'done', result: { undone: true, pipelinePaused: false } });
    const now = new Map(w.s3.keys(BUCKET, PREFIX).map((k) => [k, w.s3.objects.get(`${BUCKET}/${k}`)!.body]));
    expect(now).toEqual(asItWas);
    expect((await w.store.readResource(JOB_RESOURCE)).lock).toBeUndefined();
    // The safety backup it came from is untouched and still sealed.
    expect(first.result.safety).toEqual(expect.stringContaining('_backup_'));
    expect(await readBackupManifest(w.s3, String(first.result.safety))).toMatchObject({ source: CP, version: 2 });
  });

  it('a rollback and a reset hold the job lock from their first deletion until they are done', async () => {
    const w = world();
    const backup = await backedUpThenChanged(w);
    const seen: GateVerdict[] = [];
    w.s3.onDelete = async () => {
      seen.push(await w.fix(`inc-${seen.length}`));
    };
    const rolled = await w.op({ command: 'rollback', pipeline: 'orders', requestId: 'r2', toBatch: 299, keepCommit: true, confirm: true });
    const reset = await w.op({ command: 'reset', pipeline: 'orders', requestId: 'x2', to: 'latest', confirm: true });
    expect(rolled).toMatchObject({ status: 'done', result: { pipelinePaused: false } });
    expect(reset).toMatchObject({ status: 'done', result: { pipelinePaused: false, deletedObjects: expect.any(Number) } });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const v of seen)
      expect(v).toMatchObject({ ok: false, reason: 'LOCKED', summary: expect.stringContaining('held by operation:checkpoint-ops.orders.') });
    expect(await w.fix('inc-after')).toMatchObject({ ok: true });
    void backup;
  });
});
