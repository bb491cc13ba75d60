import { isTransient } from '../../adapters/errors';
import { parseS3Uri } from '../../adapters/s3';
import type { Clock } from '../../core/clock';
import type { Ledger } from '../../ledger/ledger';
import { backoffMs, type RateLimiter } from './pace';
import { quarantineKey, type ObjectProgress } from './progress';
import type { EntryOutcome, OutgoingRecord, ReplayTarget } from './targets';

/** Sending one batch until it settles, and the quarantine of what keeps failing. */

export interface Pending extends OutgoingRecord {
  lineNo: number;
  /** The line as read: a record that fails for good is quarantined as it was. */
  text: string;
}

export interface Failed {
  lineNo: number;
  text: string;
  error: { code: string; message: string };
  attempts: number;
}

/** The target is unreachable as a whole after every attempt: stop, keep the progress. */
export class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}

export interface SenderDeps {
  /** Absent for a dry run. */
  target?: ReplayTarget;
  limiter: RateLimiter;
  maxAttempts: number;
  ledger: Pick<Ledger, 'putProgress'>;
  operationId: string;
  clock: Clock;
  store: { putObject(bucket: string, key: string, body: string, contentType?: string): Promise<void> };
  /** The configured prefix: quarantine lives under it. */
  root: string;
  dryRun: boolean;
}

/**
 * Sends the batch until every entry is acknowledged or given up: failed entries alone are
 * resent, with backoff; acknowledgements are saved as they come (`ackedAhead`), so a crash
 * between attempts never re-sends them. Entries failing `maxAttempts` times, and those already
 * in `failed` (too large to send), go to quarantine. Waits are short (one batch at the
 * configured rate, a backoff of at most 5 s): they are not cut by the abort signal, so a batch
 * in flight always settles before the replay stops.
 */
export async function settleBatch(
  d: SenderDeps,
  unit: string,
  committed: ObjectProgress,
  items: readonly Pending[],
  failed: Failed[],
): Promise<{ delivered: number; acked: number; quarantined: number }> {
  let delivered = committed.delivered;
  let acked = 0;
  let pending = [...items];
  const ackedNow: number[] = [];
  for (let attempt = 1; d.target && pending.length > 0; attempt++) {
    await d.limiter.take(pending.length);
    let outcomes: EntryOutcome[];
    try {
      outcomes = await d.target.send(pending);
    } catch (e) {
      if (!isTransient(e)) throw e;
      if (attempt >= d.maxAttempts) {
        throw new TargetUnavailableError(`${d.target.name} failed ${attempt} time(s) in a row: ${(e as Error).message}`, { cause: e });
      }
      await d.clock.sleep(backoffMs(attempt));
      continue;
    }
    const retry: Pending[] = [];
    for (const [i, item] of pending.entries()) {
      const oc: EntryOutcome = outcomes[i] ?? { ok: false, code: 'NoOutcome', message: 'the target returned no outcome for this record', retriable: true };
      if (oc.ok) {
        ackedNow.push(item.lineNo);
        delivered++;
        acked++;
      } else if (oc.retriable && attempt < d.maxAttempts) {
        retry.push(item);
      } else {
        failed.push({ lineNo: item.lineNo, text: item.text, error: { code: oc.code, message: oc.message }, attempts: attempt });
      }
    }
    pending = retry;
    if (pending.length > 0) {
      const partial = { ...committed, ackedAhead: [...committed.ackedAhead, ...ackedNow], delivered };
      await d.ledger.putProgress(d.operationId, unit, partial as unknown as Record<string, unknown>, d.clock.now());
      await d.clock.sleep(backoffMs(attempt));
    }
  }
  if (failed.length === 0 || d.dryRun) return { delivered, acked, quarantined: 0 };
  const { bucket, prefix } = parseS3Uri(d.root);
  const body = failed.map((f) => quarantineLine(f, committed.uri, d.operationId, d.clock.now())).join('\n') + '\n';
  await d.store.putObject(bucket, quarantineKey(prefix, d.operationId, unit, failed[0]!.lineNo), body, 'application/x-ndjson');
  return { delivered, acked, quarantined: failed.length };
}

/** The original line with the replay's error added: a quarantined line is itself replayable. */
function quarantineLine(f: Failed, uri: string, operationId: string, nowMs: number): string {
  const replayError = { code: f.error.code, message: f.error.message, attempts: f.attempts, at: new Date(nowMs).toISOString(), operation_id: operationId, source: `${uri}#${f.lineNo}` };
  try {
    const original = JSON.parse(f.text) as Record<string, unknown>;
    return JSON.stringify({ ...original, replay_error: replayError });
  } catch {
    return JSON.stringify({ original_line: f.text, replay_error: replayError });
  }
}
