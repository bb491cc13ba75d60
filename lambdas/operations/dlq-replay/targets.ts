import type { FirehoseAdapter } from '../../adapters/firehose';
import type { KafkaProducerPort } from '../../adapters/kafka';
import { REPLAY_LIMITS } from './payload';

/** Where replayed records go: the pipeline's Firehose stream or its source topic. */

export interface OutgoingRecord {
  /** The record's identity (`topic/partition/offset` or `s3://…#line`). */
  id: string;
  /** Stable per record and replay (progress.replayIdOf): downstream dedupes on it. */
  replayId: string;
  data: Uint8Array;
  key?: string;
}

export type EntryOutcome = { ok: true } | { ok: false; code: string; message: string; retriable: boolean };

export interface ReplayTarget {
  /** `firehose:<stream>` or `kafka:<topic>`. */
  readonly name: string;
  /** One outcome per record, in order. Throws only when the call as a whole failed. */
  send(records: OutgoingRecord[]): Promise<EntryOutcome[]>;
  /** The bytes to send for a record (default: its payload unchanged). */
  encode?(payload: Buffer, replayId: string): Uint8Array;
  close(): Promise<void>;
}

/** The field a replayed Firehose record carries its replay id in (a JSON object payload). */
export const REPLAY_ID_FIELD = 'streamfix_replay_id';

/**
 * A JSON object payload (`{…}`, whitespace around it allowed, a trailing newline kept) gets
 * `"streamfix_replay_id":"<id>"` as its first member; the rest of its bytes are unchanged. Any
 * other payload (text, an array, binary) is sent as it was, without an id.
 */
export function withReplayId(payload: Buffer, replayId: string): Buffer {
  let i = 0;
  while (i < payload.length && (payload[i] === 0x20 || payload[i] === 0x09 || payload[i] === 0x0a || payload[i] === 0x0d)) i++;
  let j = payload.length - 1;
  while (j > i && (payload[j] === 0x20 || payload[j] === 0x09 || payload[j] === 0x0a || payload[j] === 0x0d)) j--;
  if (payload[i] !== 0x7b || payload[j] !== 0x7d) return payload;
  let k = i + 1;
  while (k < j && (payload[k] === 0x20 || payload[k] === 0x09 || payload[k] === 0x0a || payload[k] === 0x0d)) k++;
  const member = `"${REPLAY_ID_FIELD}":${JSON.stringify(replayId)}${k === j ? '' : ','}`;
  return Buffer.concat([payload.subarray(0, i + 1), Buffer.from(member, 'utf8'), payload.subarray(i + 1)]);
}

/**
 * PutRecordBatch answers 200 with `FailedPutCount > 0` when some entries failed: each failed
 * entry carries an ErrorCode (ServiceUnavailableException, InternalFailure): retriable.
 */
export function firehoseTarget(firehose: Pick<FirehoseAdapter, 'putRecordBatch'>, deliveryStreamName: string): ReplayTarget {
  return {
    name: `firehose:${deliveryStreamName}`,
    async send(records) {
      const reply = await firehose.putRecordBatch(
        deliveryStreamName,
        records.map((r) => r.data),
      );
      const missing: EntryOutcome = { ok: false, code: 'NoResultEntry', message: 'the reply has no result for this entry', retriable: true };
      if (reply.results.length === 0) return records.map(() => (reply.failedPutCount === 0 ? { ok: true } : missing));
      return records.map((_, i): EntryOutcome => {
        const r = reply.results[i];
        if (!r) return missing;
        return r.errorCode === undefined ? { ok: true } : { ok: false, code: r.errorCode, message: r.errorMessage ?? '', retriable: true };
      });
    },
    encode: withReplayId,
    close: async () => undefined,
  };
}

/**
 * Headers let consumers drop a replayed record they already have: `streamfix-replay-id` (the
 * same for every send of the record by this replay), `streamfix-replay-of` (its source position).
 */
export function kafkaTarget(producer: KafkaProducerPort, topic: string, operationId: string): ReplayTarget {
  return {
    name: `kafka:${topic}`,
    send: (records) =>
      producer.send(
        topic,
        records.map((r) => ({
          value: r.data,
          ...(r.key !== undefined ? { key: r.key } : {}),
          headers: { 'streamfix-replay-id': r.replayId, 'streamfix-replay-of': r.id, 'streamfix-operation': operationId },
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
