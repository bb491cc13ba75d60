import { parseS3Uri, type S3ObjectView } from '../../core/object-store';
import { isGzipKey, objectLineChunks, parseDlqLine, QUARANTINE_DIR, recordId, zeroCounts, type ObjectStorePort, type TypeCounts } from '../../analysis/dlq';
import type { Clock } from '../../core/clock';
import type { Ledger } from '../../ledger/ledger';
import type { ReplayFilter } from './filter';
import { RateLimiter } from './pace';
import { loadProgress, progressUnit, readProgress, replayIdOf, type ObjectProgress } from './progress';
import { REPLAY_LIMITS } from './payload';
import { settleBatch, type Failed, type Pending, type SenderDeps } from './send';
import { Batch, type ReplayTarget } from './targets';

export { TargetUnavailableError } from './send';

/** Stop this long before the function must end: the batch in flight settles, progress is saved. */
export const STOP_BEFORE_TIMEOUT_MS = 20_000;

export interface ReplaySpec {
  /** The configured prefix: quarantine lives under it. */
  root: string;
  /** What is read (the root or a narrower prefix). */
  uri: string;
  format: 'pipeline' | 'firehose';
  filter: ReplayFilter;
  dryRun: boolean;
  ratePerSecond: number;
  maxRecords: number;
  maxAttempts: number;
}

export interface ReplayProgressView {
  objectsTotal: number;
  objectsDone: number;
  bytesTotal: number;
  bytesDone: number;
  recordsMatched: number;
  recordsDelivered: number;
  recordsQuarantined: number;
}

export interface ReplayDeps {
  store: ObjectStorePort & { putObject(bucket: string, key: string, body: string, contentType?: string): Promise<void> };
  ledger: Pick<Ledger, 'listProgress' | 'putProgress'>;
  clock: Clock;
  operationId: string;
  signal: AbortSignal;
  remainingMs(): number;
  /** Absent for a dry run: nothing is sent, nothing is written. */
  target?: ReplayTarget;
  /** Throws unless this run still holds the DLQ (absent outside the operation handler). */
  ensureHeld?(): Promise<void>;
  targetName: string;
  onProgress?(v: ReplayProgressView): void;
}

export type StopReason = 'maxRecords' | 'time' | 'signal';

export interface ReplayOutcome {
  stoppedBy?: StopReason;
  objectsTotal: number;
  objectsDone: number;
  bytesRead: number;
  /** Records selected by the filters (this invocation). */
  recordsMatched: number;
  byErrorType: TypeCounts;
  /** This invocation. */
  recordsDelivered: number;
  recordsQuarantined: number;
  recordsFiltered: number;
  badLines: number;
  /** Across every invocation of the operation (from the ledger). */
  recordsDeliveredTotal: number;
  recordsQuarantinedTotal: number;
  /**
   * Records this invocation sent again because an earlier one crashed with them in flight (at
   * most one batch per crash): the target may have them twice. Downstream drops the second copy
   * by its replay id.
   */
  recordsPossiblyDuplicated: number;
  /** The same across every invocation. */
  recordsPossiblyDuplicatedTotal: number;
}

export class ReplayRun {
  private readonly limiter: RateLimiter;
  private readonly batchRecords: number;
  private readonly sender: SenderDeps;
  private readonly bucket: string;
  private readonly rootPrefix: string;
  private readonly out: ReplayOutcome;
  private bytesTotal = 0;
  private bytesDoneBefore = 0;
  private bytesCurrent = 0;

  constructor(
    private readonly spec: ReplaySpec,
    private readonly d: ReplayDeps,
  ) {
    this.limiter = new RateLimiter(spec.ratePerSecond, d.clock);
    // A batch never holds more than a second's worth of records: the limiter's waits stay short.
    this.batchRecords = Math.max(1, Math.min(REPLAY_LIMITS.batchRecords, Math.floor(spec.ratePerSecond)));
    this.bucket = parseS3Uri(spec.uri).bucket;
    this.rootPrefix = parseS3Uri(spec.root).prefix;
    this.sender = {
      ...(d.target ? { target: d.target } : {}),
      limiter: this.limiter,
      maxAttempts: spec.maxAttempts,
      ledger: d.ledger,
      operationId: d.operationId,
      clock: d.clock,
      store: d.store,
      root: spec.root,
      dryRun: spec.dryRun,
      signal: d.signal,
      ...(d.ensureHeld ? { ensureHeld: d.ensureHeld } : {}),
    };
    this.out = {
      objectsTotal: 0,
      objectsDone: 0,
      bytesRead: 0,
      recordsMatched: 0,
      byErrorType: zeroCounts(),
      recordsDelivered: 0,
      recordsQuarantined: 0,
      recordsFiltered: 0,
      badLines: 0,
      recordsDeliveredTotal: 0,
      recordsQuarantinedTotal: 0,
      recordsPossiblyDuplicated: 0,
      recordsPossiblyDuplicatedTotal: 0,
    };
  }

  async run(): Promise<ReplayOutcome> {
    const objects = await this.list();
    const stored = this.spec.dryRun ? new Map<string, Record<string, unknown>>() : await loadProgress(this.d.ledger, this.d.operationId);
    this.out.objectsTotal = objects.length;
    this.bytesTotal = objects.reduce((n, o) => n + o.size, 0);
    const progress = objects.map((o) => readProgress(this.uriOf(o), stored.get(progressUnit(this.uriOf(o)))));
    for (const p of progress) {
      if (p.done) {
        this.out.objectsDone++;
        this.bytesDoneBefore += objects[progress.indexOf(p)]!.size;
      }
    }
    try {
      for (const [i, o] of objects.entries()) {
        const p = progress[i]!;
        if (p.done) continue;
        const stop = await this.object(o, p);
        if (stop) {
          this.out.stoppedBy = stop;
          break;
        }
        this.out.objectsDone++;
        this.bytesDoneBefore += o.size;
        this.bytesCurrent = 0;
        this.report();
      }
    } finally {
      await this.d.target?.close();
      for (const p of progress) {
        this.out.recordsDeliveredTotal += p.delivered;
        this.out.recordsQuarantinedTotal += p.quarantined;
        this.out.recordsPossiblyDuplicatedTotal += p.maybeDuplicated;
      }
    }
    return this.out;
  }

  private uriOf(o: S3ObjectView): string {
    return `s3://${this.bucket}/${o.key}`;
  }

  /** Objects under the prefix in key order; the quarantine is left out unless it is what was named. */
  private async list(): Promise<S3ObjectView[]> {
    const { prefix } = parseS3Uri(this.spec.uri);
    const quarantine = `${this.rootPrefix}${QUARANTINE_DIR}`;
    const skipQuarantine = !prefix.startsWith(quarantine);
    const out: S3ObjectView[] = [];
    for await (const o of this.d.store.listPrefix(this.bucket, prefix)) {
      if (o.key.endsWith('/') || (skipQuarantine && o.key.startsWith(quarantine))) continue;
      if (!this.spec.filter.objectMayMatch(o.lastModifiedMs)) continue;
      out.push(o);
    }
    return out;
  }

  private stopReason(pendingRecords: number): StopReason | undefined {
    if (this.d.signal.aborted) return 'signal';
    if (this.d.remainingMs() < STOP_BEFORE_TIMEOUT_MS) return 'time';
    // A dry run only counts: it is bounded by time alone.
    if (!this.spec.dryRun && this.out.recordsDelivered + this.out.recordsQuarantined + pendingRecords >= this.spec.maxRecords) return 'maxRecords';
    return undefined;
  }

  /** One object, from its saved progress. Returns why it stopped early, or undefined when done. */
  private async object(o: S3ObjectView, committed: ObjectProgress): Promise<StopReason | undefined> {
    const ranged = !isGzipKey(o.key) && committed.nextLine > 1 && committed.nextByte > 0;
    if (ranged && committed.nextByte >= o.size) return this.finish(committed);
    const unit = progressUnit(committed.uri);
    const acked = new Set(committed.ackedAhead);
    // A batch left in flight by a crash: it is read and sent again (less what was acknowledged
    // ahead); the target may now have those records twice. Counted, and the count saved.
    if (committed.inFlight && !this.spec.dryRun) {
      const f = committed.inFlight;
      const again = Math.max(0, f.records - committed.ackedAhead.filter((l) => l >= f.fromLine && l <= f.toLine).length);
      committed.maybeDuplicated += again;
      this.out.recordsPossiblyDuplicated += again;
      delete committed.inFlight;
    }
    const batch = new Batch<Pending>(this.batchRecords);
    let failed: Failed[] = [];
    // Counts of lines read since the last commit; they become part of the progress when it moves.
    let window = { filtered: 0, badLines: 0 };
    let lastLine = committed.nextLine - 1;
    let lastByte = committed.nextByte;
    this.bytesCurrent = ranged ? committed.nextByte : 0;

    /** Settles the batch and moves the progress; false = the deadline came first (nothing moved but the acknowledgements). */
    const commit = async (done: boolean): Promise<boolean> => {
      const settled = await settleBatch(this.sender, unit, committed, batch.items, failed);
      this.out.recordsDelivered += settled.acked;
      this.out.recordsQuarantined += settled.quarantined;
      if (settled.aborted) {
        const a = settled.aborted;
        const kept: ObjectProgress = { ...committed, ackedAhead: a.ackedAhead, delivered: a.delivered, ...(a.inFlight ? { inFlight: a.inFlight } : {}) };
        await this.d.ledger.putProgress(this.d.operationId, unit, kept as unknown as Record<string, unknown>, this.d.clock.now());
        Object.assign(committed, kept);
        this.report();
        return false;
      }
      const next: ObjectProgress = {
        ...committed,
        nextLine: lastLine + 1,
        nextByte: lastByte,
        ackedAhead: committed.ackedAhead.filter((l) => l > lastLine),
        done,
        delivered: settled.delivered,
        quarantined: committed.quarantined + settled.quarantined,
        filtered: committed.filtered + window.filtered,
        badLines: committed.badLines + window.badLines,
      };
      if (!this.spec.dryRun) await this.d.ledger.putProgress(this.d.operationId, unit, next as unknown as Record<string, unknown>, this.d.clock.now());
      delete next.inFlight;
      Object.assign(committed, next);
      delete committed.inFlight;
      batch.clear();
      failed = [];
      window = { filtered: 0, badLines: 0 };
      this.report();
      return true;
    };

    const chunks = objectLineChunks(this.d.store, this.bucket, o.key, {
      fromLine: committed.nextLine,
      fromByte: committed.nextByte,
      onSourceBytes: (n) => {
        this.out.bytesRead += n;
        this.bytesCurrent += n;
      },
    });
    for await (const lines of chunks) {
      for (const line of lines) {
        const stop = this.stopReason(batch.size);
        if (stop) {
          return (await commit(false)) ? stop : 'signal';
        }
        if (acked.has(line.lineNo)) {
          lastLine = line.lineNo;
          lastByte = line.nextOffset;
          continue;
        }
        const parsed = line.oversized ? undefined : parseDlqLine(line.text!, this.spec.format);
        if (!parsed?.ok) {
          window.badLines++;
          this.out.badLines++;
        } else if (this.spec.filter.test(parsed.record) !== 'match') {
          window.filtered++;
          this.out.recordsFiltered++;
        } else {
          const r = parsed.record;
          if (!this.spec.dryRun) {
            const replayId = replayIdOf(this.d.operationId, committed.uri, line.lineNo);
            const data = this.d.target?.encode ? this.d.target.encode(r.payload, replayId) : r.payload;
            const item: Pending = {
              id: recordId(r, committed.uri, line.lineNo),
              replayId,
              data,
              ...(r.key !== undefined ? { key: r.key } : {}),
              lineNo: line.lineNo,
              text: line.text!,
            };
            if (!Batch.fitsAlone(item.data.byteLength)) {
              failed.push({
                lineNo: line.lineNo,
                text: line.text!,
                error: { code: 'RecordTooLarge', message: `${item.data.byteLength} bytes, over the 1,000 KiB a record may have` },
                attempts: 0,
              });
            } else {
              if (!batch.fits(item)) {
                if (!(await commit(false))) return 'signal';
                // Sending took time: stop here if it is time, this line is read again next time.
                const stop = this.stopReason(0);
                if (stop) return stop;
              }
              batch.add(item);
            }
          }
          this.out.recordsMatched++;
          this.out.byErrorType[r.errorType]++;
        }
        lastLine = line.lineNo;
        lastByte = line.nextOffset;
      }
    }
    return (await commit(true)) ? undefined : 'signal';
  }

  private async finish(committed: ObjectProgress): Promise<undefined> {
    const done = { ...committed, done: true, ackedAhead: [] };
    if (!this.spec.dryRun)
      await this.d.ledger.putProgress(this.d.operationId, progressUnit(committed.uri), done as unknown as Record<string, unknown>, this.d.clock.now());
    Object.assign(committed, done);
    return undefined;
  }

  private report(): void {
    this.d.onProgress?.({
      objectsTotal: this.out.objectsTotal,
      objectsDone: this.out.objectsDone,
      bytesTotal: this.bytesTotal,
      bytesDone: Math.min(this.bytesTotal, this.bytesDoneBefore + this.bytesCurrent),
      recordsMatched: this.out.recordsMatched,
      recordsDelivered: this.out.recordsDelivered,
      recordsQuarantined: this.out.recordsQuarantined,
    });
  }
}
