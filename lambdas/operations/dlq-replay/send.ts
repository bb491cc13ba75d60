import { isTransient } from '../../adapters/errors';
import { parseS3Uri } from '../../core/object-store';
import type { Clock } from '../../core/clock';
import type { Ledger } from '../../ledger/ledger';
import { backoffMs, type RateLimiter } from './pace';
import { quarantineKey, type InFlight, type ObjectProgress } from './progress';
import type { EntryOutcome, OutgoingRecord, ReplayTarget } from './targets';

/** Sending one batch until it settles, and the quarantine of what keeps failing. */

export interface Pending extends OutgoingRecord {
  /** 1-based line number in its object. */
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
  /** The invocation's deadline (middy aborts it before the Lambda timeout; Ctrl-C in the CLI). */
  signal: AbortSignal;
  /**
   * Before every send: throws (LeaseLostError) unless this run still holds the DLQ for a while
   * (operations/target-lease.ts), so a run that lost it sends nothing more.
   */
  ensureHeld?(): Promise<void>;
}

export interface Settled {
  delivered: number;
  acked: number;
  quarantined: number;
  /**
   * The deadline came during a wait (rate limit or backoff): the acknowledgements so far are
   * saved (`ackedAhead`), the rest of the batch was not settled and is read again next time.
   */
  aborted?: { ackedAhead: number[]; delivered: number; inFlight?: InFlight };
}

/** Waits, unless the deadline comes first: false = aborted. */
async function waitWithin(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await clock.sleep(ms, signal);
    return !signal.aborted;
  } catch (e) {
    if (signal.aborted) return false;
    throw e;
  }
}

/**
 * Sends the batch until every entry is acknowledged or given up: failed entries alone are
 * resent, with backoff; acknowledgements are saved as they come (`ackedAhead`), so a crash
 * between attempts never re-sends them. Entries failing `maxAttempts` times, and those already
 * in `failed` (too large to send), go to quarantine.
 *
 * Before the first send the batch is written ahead as `inFlight` (its lines and record count):
 * a crash between the target's acknowledgement and the progress write that follows re-sends
 * that one batch, no more, and the resumed replay counts it as possibly sent twice. Every wait
 * (a turn of the rate limit, a backoff) ends at the deadline: then the batch stops unsettled.
 */
export async function settleBatch(d: SenderDeps, unit: string, committed: ObjectProgress, items: readonly Pending[], failed: Failed[]): Promise<Settled> {
  let delivered = committed.delivered;
  let acked = 0;
  let pending = [...items];
  const ackedNow: number[] = [];
  const inFlight: InFlight | undefined =
    items.length > 0 ? { fromLine: items[0]!.lineNo, toLine: items[items.length - 1]!.lineNo, records: items.length } : undefined;
  let sent = false;
  // Stopped by the deadline: what was acknowledged stays saved; a batch already sent stays in flight.
  const stopped = (): Settled => ({
    delivered,
    acked,
    quarantined: 0,
    aborted: { ackedAhead: [...committed.ackedAhead, ...ackedNow], delivered, ...(sent && inFlight ? { inFlight } : {}) },
  });
  for (let attempt = 1; d.target && pending.length > 0; attempt++) {
    if (!(await d.limiter.take(pending.length, d.signal))) return stopped();
    await d.ensureHeld?.();
    if (!sent) {
      await d.ledger.putProgress(d.operationId, unit, { ...committed, inFlight } as unknown as Record<string, unknown>, d.clock.now());
      sent = true;
    }
    let outcomes: EntryOutcome[];
    try {
      outcomes = await d.target.send(pending);
    } catch (e) {
      if (!isTransient(e)) throw e;
      if (attempt >= d.maxAttempts) {
        throw new TargetUnavailableError(`${d.target.name} failed ${attempt} time(s) in a row: ${(e as Error).message}`, { cause: e });
      }
      if (!(await waitWithin(d.clock, backoffMs(attempt), d.signal))) return stopped();
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
      const partial = { ...committed, ackedAhead: [...committed.ackedAhead, ...ackedNow], delivered, inFlight };
      await d.ledger.putProgress(d.operationId, unit, partial as unknown as Record<string, unknown>, d.clock.now());
      if (!(await waitWithin(d.clock, backoffMs(attempt), d.signal))) return stopped();
    }
  }
  if (failed.length === 0 || d.dryRun) return { delivered, acked, quarantined: 0 };
  const { bucket, prefix } = parseS3Uri(d.root);
  const body = `${failed.map((f) => quarantineLine(f, committed.uri, d.operationId, d.clock.now())).join('\n')}\n`;
  await d.store.putObject(bucket, quarantineKey(prefix, d.operationId, unit, failed[0]!.lineNo), body, 'application/x-ndjson');
  return { delivered, acked, quarantined: failed.length };
}

/** The original line with the replay's error added: a quarantined line is itself replayable. */
function quarantineLine(f: Failed, uri: string, operationId: string, nowMs: number): string {
  const replayError = {
    code: f.error.code,
    message: f.error.message,
    attempts: f.attempts,
    at: new Date(nowMs).toISOString(),
    operation_id: operationId,
    source: `${uri}#${f.lineNo}`,
  };
  try {
    const original = JSON.parse(f.text) as Record<string, unknown>;
    return JSON.stringify({ ...original, replay_error: replayError });
  } catch {
    return JSON.stringify({ original_line: f.text, replay_error: replayError });
  }
}
