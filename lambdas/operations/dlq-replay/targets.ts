import type { FirehoseAdapter } from '../../adapters/firehose';
import type { KafkaProducerPort } from '../../adapters/kafka';
import { REPLAY_LIMITS } from './payload';

/** Where replayed records go: the pipeline's Firehose stream or its source topic. */

export interface OutgoingRecord {
  /** The record's identity (`topic/partition/offset` or `s3://…#line`). */
  id: string;
  data: Uint8Array;
  key?: string;
}

export type EntryOutcome = { ok: true } | { ok: false; code: string; message: string; retriable: boolean };

export interface ReplayTarget {
  /** `firehose:<stream>` or `kafka:<topic>`. */
  readonly name: string;
  /** One outcome per record, in order. Throws only when the call as a whole failed. */
  send(records: OutgoingRecord[]): Promise<EntryOutcome[]>;
  close(): Promise<void>;
}

/**
 * PutRecordBatch answers 200 with `FailedPutCount > 0` when some entries failed: each failed
 * entry carries an ErrorCode (ServiceUnavailableException, InternalFailure): retriable.
 */
export function firehoseTarget(firehose: Pick<FirehoseAdapter, 'putRecordBatch'>, deliveryStreamName: string): ReplayTarget {
  return {
    name: `firehose:${deliveryStreamName}`,
    async send(records) {
      const reply = await firehose.putRecordBatch(deliveryStreamName, records.map((r) => r.data));
      const missing: EntryOutcome = { ok: false, code: 'NoResultEntry', message: 'the reply has no result for this entry', retriable: true };
      if (reply.results.length === 0) return records.map(() => (reply.failedPutCount === 0 ? { ok: true } : missing));
      return records.map((_, i): EntryOutcome => {
        const r = reply.results[i];
        if (!r) return missing;
        return r.errorCode === undefined ? { ok: true } : { ok: false, code: r.errorCode, message: r.errorMessage ?? '', retriable: true };
      });
    },
    close: async () => undefined,
  };
}

/** Headers let consumers drop a replayed record they already have (`streamfix-replay-of`). */
export function kafkaTarget(producer: KafkaProducerPort, topic: string, operationId: string): ReplayTarget {
  return {
    name: `kafka:${topic}`,
    send: (records) =>
      producer.send(
        topic,
        records.map((r) => ({
          value: r.data,
          ...(r.key !== undefined ? { key: r.key } : {}),
          headers: { 'streamfix-replay-of': r.id, 'streamfix-operation': operationId },
        })),
      ),
    close: () => producer.disconnect(),
  };
}

/** Collects records up to the PutRecordBatch limits: ≤ 500 records and ≤ 4 MiB per call. */
export class Batch<T extends { data: Uint8Array }> {
  readonly items: T[] = [];
  private bytes = 0;

  constructor(private readonly maxRecords: number = REPLAY_LIMITS.batchRecords) {}

  /** Whether `item` fits; a record alone over the per-record limit never does (quarantine it). */
  static fitsAlone(size: number): boolean {
    return size <= REPLAY_LIMITS.recordBytes;
  }

  fits(item: T): boolean {
    return this.items.length < this.maxRecords && this.bytes + item.data.byteLength <= REPLAY_LIMITS.batchBytes;
  }

  add(item: T): void {
    this.items.push(item);
    this.bytes += item.data.byteLength;
  }

  get size(): number {
    return this.items.length;
  }

  clear(): void {
    this.items.length = 0;
    this.bytes = 0;
  }
}
