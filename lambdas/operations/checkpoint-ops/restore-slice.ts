import { parseS3Uri, type S3ObjectView } from '../../core/object-store';
import { BACKUP_MANIFEST, BackupDoesNotCoverError, checkCoverage, listAll, mapLimit, type CoveredTarget } from '../../analysis/checkpoint';
import { compareListings, copyVerified, type S3Store } from '../../checkpoint';
import type { OperationContext } from '../types';

/**
 * One slice of a restore (restore.ts): at most SLICE_OBJECTS deletions or copies, each deletion
 * or overwrite of bytes a sealed backup holds (checked right before), each copy checked by
 * content against the seal of what is put back.
 */

/** Objects changed per slice: each slice starts with the job checked again. */
export const SLICE_OBJECTS = 250;

export interface SliceRun {
  phase: 'delete' | 'copy' | 'verify' | 'done';
  /** What is put in place; absent: nothing (the checkpoint is emptied, an undo of a restore into an empty checkpoint). */
  source?: string;
  /** Sealed backups whose bytes may be deleted or overwritten. */
  coveredBy: string[];
  /** The checkpoint as it was before the restore (absent: it was empty). */
  safety?: string;
  lastKey?: string;
  copied: number;
  copiedBytes: number;
  /** Objects already holding the backup's bytes (a slice redone after a crash). */
  unchanged: number;
  deleted: number;
  slices: number;
  startedAtMs: number;
}

/** Conditional deletion targets for `objects`, each covered by one of the backups; otherwise why not. */
export async function coverAll(
  s3: S3Store,
  cpUri: string,
  backups: readonly string[],
  objects: readonly S3ObjectView[],
  signal: AbortSignal,
): Promise<{ ok: true; targets: CoveredTarget[] } | { ok: false; why: string }> {
  let left = [...objects];
  const targets: CoveredTarget[] = [];
  let last = '';
  for (const b of backups) {
    if (left.length === 0) break;
    const c = await checkCoverage(s3, cpUri, b, left, { signal });
    if (c.kind === 'covered') {
      targets.push(...c.targets);
      left = [];
      break;
    }
    last = new BackupDoesNotCoverError(c, b).message;
    if (c.kind !== 'uncovered') continue;
    const missing = new Set(c.keys);
    const held = left.filter((o) => !missing.has(o.key));
    if (held.length > 0) {
      const again = await checkCoverage(s3, cpUri, b, held, { signal });
      if (again.kind === 'covered') targets.push(...again.targets);
      else continue;
    }
    left = left.filter((o) => missing.has(o.key));
  }
  return left.length === 0 ? { ok: true, targets } : { ok: false, why: last || `${left.length} object(s) are in no sealed backup` };
}

/** One slice of the current phase: false with the reason when it must stop (nothing more is changed). */
export async function slice(
  ctx: OperationContext,
  run: SliceRun,
  w: { cpUri: string; sourceKeys: Set<string>; sealed: Map<string, { sha256: string }>; current: Map<string, S3ObjectView> },
): Promise<{ ok: true; next?: 'copy' | 'verify' } | { ok: false; why: string }> {
  const cp = parseS3Uri(w.cpUri);
  const s3 = ctx.aws.s3;
  if (run.phase === 'delete') {
    const extra = [...w.current]
      .filter(([rel]) => !w.sourceKeys.has(rel))
      .slice(0, SLICE_OBJECTS)
      .map(([, o]) => o);
    if (extra.length === 0) return { ok: true, next: 'copy' };
    const c = await coverAll(s3, w.cpUri, run.coveredBy, extra, ctx.signal);
    if (!c.ok) return { ok: false, why: `not deleted: ${c.why}` };
    await s3.deleteObjects(cp.bucket, c.targets);
    for (const o of extra) w.current.delete(o.key.slice(cp.prefix.length));
    run.deleted += c.targets.length;
    return { ok: true };
  }
  if (run.phase === 'copy') {
    const src = parseS3Uri(run.source!);
    const page: S3ObjectView[] = [];
    for await (const o of s3.listPrefix(src.bucket, src.prefix, run.lastKey ? { startAfter: run.lastKey } : {})) {
      if (o.key.slice(src.prefix.length) === BACKUP_MANIFEST) continue;
      page.push(o);
      if (page.length >= SLICE_OBJECTS) break;
    }
    if (page.length === 0) return { ok: true, next: 'verify' };
    const copied = await copySlice(ctx, s3, w.cpUri, run, page, w.sealed, w.current);
    if (!copied.ok) return copied;
    run.lastKey = page[page.length - 1]!.key;
    return { ok: true };
  }
  const check = run.source
    ? await compareListings(s3, run.source, w.cpUri, (k) => k === BACKUP_MANIFEST)
    : { ok: (await listAll(s3, cp.bucket, cp.prefix, 1)).objects.length === 0, missing: [], sizeMismatch: [], extra: [...w.current.keys()] };
  if (!check.ok) {
    return {
      ok: false,
      why: `after the copy ${w.cpUri} still differs from ${run.source ?? 'an empty checkpoint'} (${check.missing.length} missing, ${check.sizeMismatch.length} with another size, ${check.extra.length} extra)`,
    };
  }
  run.phase = 'done';
  return { ok: true };
}

/**
 * One slice of copies: an object already holding the backup's bytes is left alone; one holding
 * other bytes is overwritten only when a sealed backup holds those; each copy is checked by
 * content against the seal.
 */
async function copySlice(
  ctx: OperationContext,
  s3: S3Store,
  cpUri: string,
  run: SliceRun,
  page: readonly S3ObjectView[],
  sealed: Map<string, { sha256: string }>,
  current: Map<string, S3ObjectView>,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const src = parseS3Uri(run.source!);
  const cp = parseS3Uri(cpUri);
  const rel = (o: S3ObjectView) => o.key.slice(src.prefix.length);
  const existing = page.filter((o) => current.has(rel(o)));
  const digests = await mapLimit(existing, 16, (o) => s3.digestObject(cp.bucket, `${cp.prefix}${rel(o)}`), ctx.signal);
  const same = new Set(existing.filter((o, i) => digests[i] !== undefined && sealed.get(rel(o))?.sha256 === digests[i]!.sha256).map(rel));
  const overwritten = existing.filter((o, i) => digests[i] !== undefined && !same.has(rel(o))).map((o) => current.get(rel(o))!);
  if (overwritten.length > 0) {
    const c = await coverAll(s3, cpUri, run.coveredBy, overwritten, ctx.signal);
    if (!c.ok) return { ok: false, why: `not overwritten: ${c.why}` };
  }
  const todo = page.filter((o) => !same.has(rel(o)));
  const entries = await mapLimit(
    todo,
    16,
    (o) =>
      copyVerified(
        s3,
        { bucket: src.bucket, key: o.key, size: o.size, ...(o.etag !== undefined ? { etag: o.etag } : {}) },
        { bucket: cp.bucket, key: `${cp.prefix}${rel(o)}` },
        rel(o),
      ),
    ctx.signal,
  );
  const wrong = entries.filter((e) => sealed.size > 0 && sealed.get(e.key)?.sha256 !== e.sha256).map((e) => e.key);
  if (wrong.length > 0)
    return { ok: false, why: `restored objects hold other bytes than ${run.source} sealed (${wrong.slice(0, 5).join(', ')}): the checkpoint is not whole` };
  for (const o of todo) current.set(rel(o), { key: `${cp.prefix}${rel(o)}`, size: o.size, lastModifiedMs: ctx.clock.now() });
  run.copied += todo.length;
  run.copiedBytes += todo.reduce((n, o) => n + o.size, 0);
  run.unchanged += same.size;
  return { ok: true };
}
