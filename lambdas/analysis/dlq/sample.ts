import { BreakdownBuilder, type BreakdownOptions, type DlqBreakdown } from './breakdown';
import { FieldCounter } from './drift';
import { parseDlqLine, type DlqFormat } from './envelope';
import { fieldPaths, splitConcatenatedJson } from './fields';
import { newestObjects, objectLines, QUARANTINE_DIR, type NewestObjects, type ObjectStorePort } from './objects';

/** Bounded reads of the newest DLQ objects and of a reference sample of good records. */

export interface SampleLimits {
  maxObjects: number;
  maxRecords: number;
  /** Bytes read from S3 (compressed for gzip) across all objects. */
  maxBytes: number;
  lookbackHours: number;
}

export interface DlqSampleResult {
  objectsListed: number;
  objectsRead: number;
  layout: NewestObjects['layout'];
  listingComplete: boolean;
  lines: number;
  badLines: number;
  oversizedLines: number;
  bytesRead: number;
  /** The first reason a line was bad (for the evidence), if any. */
  firstBadLine?: { object: string; lineNo: number; reason: string };
  /** True when a limit stopped the reading (the sample is the newest part of the DLQ). */
  truncated: boolean;
  breakdown: DlqBreakdown;
}

export async function sampleDlq(
  store: ObjectStorePort,
  location: { bucket: string; prefix: string },
  nowMs: number,
  limits: SampleLimits,
  opts: BreakdownOptions & { format?: DlqFormat | 'auto'; signal?: AbortSignal } = {},
): Promise<DlqSampleResult> {
  const { bucket, prefix } = location;
  const listing = await newestObjects(store, bucket, prefix, nowMs, {
    maxObjects: limits.maxObjects,
    lookbackHours: limits.lookbackHours,
    exclude: (rel) => rel.startsWith(QUARANTINE_DIR),
  });
  const builder = new BreakdownBuilder(opts);
  const r = { lines: 0, badLines: 0, oversizedLines: 0, bytesRead: 0, objectsRead: 0, truncated: false } as Omit<
    DlqSampleResult,
    'breakdown' | 'objectsListed' | 'layout' | 'listingComplete'
  >;
  outer: for (const o of listing.objects) {
    if (opts.signal?.aborted) break;
    r.objectsRead++;
    for await (const line of objectLines(store, bucket, o.key, { onSourceBytes: (n) => (r.bytesRead += n) })) {
      r.lines++;
      if (line.oversized) {
        r.oversizedLines++;
        r.badLines++;
        continue;
      }
      const p = parseDlqLine(line.text!, opts.format ?? 'auto');
      if (p.ok) builder.add(p.record);
      else {
        r.badLines++;
        r.firstBadLine ??= { object: `s3://${bucket}/${o.key}`, lineNo: line.lineNo, reason: p.reason };
      }
      if (r.lines - r.badLines >= limits.maxRecords || r.bytesRead >= limits.maxBytes) {
        r.truncated = true;
        break outer;
      }
    }
  }
  return {
    ...r,
    objectsListed: listing.objects.length,
    layout: listing.layout,
    listingComplete: listing.complete,
    breakdown: builder.build(),
  };
}

export interface ReferenceSampleResult {
  objectsRead: number;
  fields: FieldCounter;
  layout: NewestObjects['layout'];
}

/**
 * The fields of good records: the newest objects under `location`, each line read as JSON
 * lines or as JSON objects written back to back.
 */
export async function sampleReference(
  store: ObjectStorePort,
  location: { bucket: string; prefix: string },
  nowMs: number,
  limits: SampleLimits,
): Promise<ReferenceSampleResult> {
  const listing = await newestObjects(store, location.bucket, location.prefix, nowMs, {
    maxObjects: limits.maxObjects,
    lookbackHours: limits.lookbackHours,
  });
  const fields = new FieldCounter();
  let bytes = 0;
  let objectsRead = 0;
  outer: for (const o of listing.objects) {
    objectsRead++;
    for await (const line of objectLines(store, location.bucket, o.key, { onSourceBytes: (n) => (bytes += n) })) {
      if (line.oversized) continue;
      for (const v of splitConcatenatedJson(line.text!)) {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
        fields.add(fieldPaths(v));
        if (fields.records >= limits.maxRecords) break outer;
      }
      if (bytes >= limits.maxBytes) break outer;
    }
  }
  return { objectsRead, fields, layout: listing.layout };
}
