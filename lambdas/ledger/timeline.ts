import { randomUUID } from 'node:crypto';
import type { ItemStore } from './item-store';
import { auditTtl, pad } from './keys';
import type { TimelineEntry, TimelineKind } from './types';

let seq = 0;
const nextSeq = () => `${(seq++ % 1_000_000).toString().padStart(6, '0')}-${randomUUID().slice(0, 8)}`;

/**
 * An incident's timeline: append-only entries under the incident's partition, sorted by time.
 * Entries tell a person what happened; they decide nothing, so they are not fenced.
 */
export class Timeline {
  constructor(
    private readonly store: ItemStore,
    private readonly retentionDays?: number,
  ) {}

  async append(incidentId: string, atMs: number, kind: TimelineKind, summary: string, data?: Record<string, unknown>): Promise<void> {
    const s = nextSeq();
    const entry: TimelineEntry = { incidentId, atMs, seq: s, kind, summary, ...(data ? { data } : {}) };
    await this.store.put({
      pk: `INCIDENT#${incidentId}`,
      sk: `T#${pad(atMs)}#${s}`,
      doc: JSON.stringify(entry),
      ...auditTtl(atMs, this.retentionDays),
    });
  }

  async list(incidentId: string): Promise<TimelineEntry[]> {
    const items = await this.store.query(`INCIDENT#${incidentId}`, 'T#');
    return items.map((i) => JSON.parse(String(i.doc)) as TimelineEntry);
  }
}
