import { createHash } from 'node:crypto';
import { BACKUP_MANIFEST } from '../../lambdas/analysis/checkpoint/manifest';
import type { StreamfixConfig } from '../../lambdas/config';
import { operations } from '../../lambdas/operations/registry';
import { operationFunctionName } from '../dlq';
import { isMutation } from '../sim/calls';
import type { DestroyedObject } from '../sim/s3';
import type { SimWorld } from '../sim/world';
import type { KafkaFaultStats } from './kafka-faults';
import { splitS3Uri } from '../../lambdas/util/s3-uri';

/**
 * The proof's figures for the manual operations (issue 13), from what the simulated platform
 * recorded, never from what the operations say about themselves:
 *
 * - replayedTwice: replayed records the source topic received more than once beyond the
 *   replay's documented window: one batch per crash or lost answer. Per record (its replay id),
 *   the copies after the first, less one per send of it whose outcome its sender could not know:
 *   a send whose answer was lost after the broker wrote it (kafka-faults.ts), or the last send
 *   of an invocation that never returned (killed, timed out).
 * - unbackedDeletions: objects whose bytes an invocation destroyed (S3 deletions, overwrites with
 *   other bytes) that no verified backup held at that moment: a sealed backup (a version 2
 *   manifest) listing the object's key under its source with the same SHA-256, whose copy still
 *   holds those bytes. Judged when the call is made (sim/s3.ts `onDestroy`).
 * - besideOnTarget: runs of an operation that changed their target (a mutating call: a copy, a
 *   write, a deletion, a send) while another run of an operation changed the same target: their
 *   first-to-last mutation times overlap. The target is the operation's own (`target()`: the DLQ,
 *   the checkpoint); runs that only read have none.
 */

export interface OperationFigures {
  replayedTwice: number;
  unbackedDeletions: number;
  besideOnTarget: number;
  /** Records sent twice within the window (not a goal: shown). */
  replayedTwiceInWindow: number;
  replayedRecords: number;
  details: string[];
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');

/** Whether a sealed, verified backup other than the object itself holds these bytes for this key, now. */
export function heldByVerifiedBackup(world: SimWorld, d: Pick<DestroyedObject, 'bucket' | 'key' | 'body'>): boolean {
  const digest = sha(d.body);
  for (const mk of world.s3.keys(d.bucket).filter((k) => k.endsWith(`/${BACKUP_MANIFEST}`))) {
    let m: { version?: number; source?: string; entries?: { key: string; sha256: string }[] };
    try {
      m = JSON.parse(world.s3.object(d.bucket, mk)!.body.toString('utf8')) as typeof m;
    } catch {
      continue;
    }
    const src = splitS3Uri(m.source ?? '');
    if (m.version !== 2 || !src || src.bucket !== d.bucket || !d.key.startsWith(src.prefix)) continue;
    const rel = d.key.slice(src.prefix.length);
    if (m.entries?.find((e) => e.key === rel)?.sha256 !== digest) continue;
    const copyKey = `${mk.slice(0, -BACKUP_MANIFEST.length)}${rel}`;
    const copy = world.s3.object(d.bucket, copyKey);
    if (copyKey !== d.key && copy && sha(copy.body) === digest) return true;
  }
  return false;
}

/** Watches every destruction of bytes by an invocation, from the start of the drill. */
export class DestructionWatch {
  readonly unbacked: string[] = [];
  constructor(private readonly world: SimWorld) {
    world.s3.onDestroy = (d) => this.judge(d);
  }

  private judge(d: DestroyedObject): void {
    if (!d.invocationId) return;
    if (!heldByVerifiedBackup(this.world, d)) {
      this.unbacked.push(
        `unbacked: ${d.functionName} ${d.operation} ${d.by === 'delete' ? 'deleted' : 'overwrote'} s3://${d.bucket}/${d.key} (${d.body.length} bytes), held by no verified backup`,
      );
    }
  }
}

function targetOf(functionName: string, payload: unknown, config: StreamfixConfig): string | undefined {
  const op = Object.values(operations).find((o) => operationFunctionName(config.name, o.manifest.id) === functionName);
  const p = op?.payload.safeParse(payload);
  return op && p?.success ? op.target?.(p.data, config)?.key : undefined;
}

export function checkOperations(world: SimWorld, config: StreamfixConfig, watch: DestructionWatch, kafka: KafkaFaultStats): OperationFigures {
  const details = [...watch.unbacked];
  const invocations = world.record.invocations.filter((i) => i.source === 'operator');

  // Records sent twice beyond the window.
  const produced = world.dlq.produced.filter((m) => m.replayId !== undefined);
  const copies = new Map<string, number>();
  for (const m of produced) copies.set(m.replayId!, (copies.get(m.replayId!) ?? 0) + 1);
  const allowance = new Map<string, number>();
  const allow = (ids: Iterable<string>) => {
    for (const id of ids) allowance.set(id, (allowance.get(id) ?? 0) + 1);
  };
  for (const l of kafka.lost) allow(l.replayIds);
  for (const inv of invocations) {
    if (!inv.error && inv.endedAtMs !== undefined) continue;
    const mine = produced.filter((m) => m.invocationId === inv.invocationId);
    const last = Math.max(...mine.map((m) => m.send));
    allow(mine.filter((m) => m.send === last).map((m) => m.replayId!));
  }
  let replayedTwice = 0;
  let inWindow = 0;
  let named = 0;
  for (const [id, n] of copies) {
    const extra = n - 1;
    const ok = Math.min(extra, allowance.get(id) ?? 0);
    inWindow += ok;
    if (extra === ok) continue;
    replayedTwice += extra - ok;
    if (named++ < 5) details.push(`replayed-twice: record ${id} reached the topic ${n}× (the window allows ${allowance.get(id) ?? 0} extra)`);
  }

  // Runs that changed one target at the same time.
  const spans = invocations.flatMap((inv) => {
    const target = targetOf(inv.functionName, inv.payload, config);
    if (!target) return [];
    const times = [
      ...world.record.calls.filter((c) => c.invocationId === inv.invocationId && !c.error && isMutation(c.service, c.operation)).map((c) => c.atMs),
      ...world.dlq.produced.filter((m) => m.invocationId === inv.invocationId).map((m) => m.atMs),
    ];
    return times.length > 0 ? [{ id: inv.invocationId, target, from: Math.min(...times), to: Math.max(...times) }] : [];
  });
  let besideOnTarget = 0;
  for (const a of spans) {
    const other = spans.find((b) => b !== a && b.target === a.target && a.from <= b.to && b.from <= a.to);
    if (other) {
      besideOnTarget++;
      details.push(`beside: ${a.id} changed ${a.target} while ${other.id} did (${new Date(Math.max(a.from, other.from)).toISOString()})`);
    }
  }
  return { replayedTwice, unbackedDeletions: watch.unbacked.length, besideOnTarget, replayedTwiceInWindow: inWindow, replayedRecords: copies.size, details };
}
