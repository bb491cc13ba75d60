import * as z from 'zod';
import type { FirehoseAdapter } from '../../adapters/firehose';
import { hintViolations, type HintBounds, type Hints } from '../../analysis/firehose';
import { ConflictError, StreamfixError } from '../../core/errors';
import type { ActionContext, ActionDefinition, ActionOutcome } from '../../core/playbook';
import type { FirehoseDeliverySettings } from './manifest';
import { streamNameOf } from './manifest';
import { UPDATE_BUFFERING_HINTS } from './plan';

const bufferingHintsParams = z
  .object({
    deliveryStreamName: z.string().min(1),
    destinationId: z.string().min(1),
    /** The VersionId the plan read: a change since then is someone else's. */
    versionId: z.string().min(1),
    sizeInMBs: z.number().int(),
    intervalInSeconds: z.number().int(),
    intent: z.enum(['raise', 'lower-interval']),
    previousSizeInMBs: z.number().int(),
    previousIntervalInSeconds: z.number().int(),
  })
  .strict();

export type BufferingHintsParams = z.infer<typeof bufferingHintsParams>;

/** The stream changed under the fix twice: give up so the engine escalates. */
export class StreamChangedError extends StreamfixError {
  override readonly name = 'StreamChangedError';
}

const same = (a: Hints | undefined, b: Hints) => a !== undefined && a.sizeInMBs === b.sizeInMBs && a.intervalInSeconds === b.intervalInSeconds;
const text = (h: Hints | undefined) => (h ? `${h.sizeInMBs} MiB/${h.intervalInSeconds} s` : 'unknown');

interface StreamState {
  versionId: string;
  hints?: Hints;
}

async function readState(fh: FirehoseAdapter, p: BufferingHintsParams): Promise<StreamState> {
  const view = await fh.describeDeliveryStream(p.deliveryStreamName);
  const dest = view.destinations.find((d) => d.destinationId === p.destinationId);
  if (!dest) throw new Error(`${p.deliveryStreamName} has no destination ${p.destinationId} any more`);
  return { versionId: view.versionId, ...(dest.bufferingHints ? { hints: dest.bufferingHints } : {}) };
}

export type Replan = { kind: 'done'; why: string } | { kind: 'update'; hints: Hints };

/**
 * Someone else changed the stream between the plan and the update. Keep what they did where
 * it already serves the intent, add what the plan wanted where it does not, and check the
 * result against the bounds (pure).
 */
export function replanHints(p: BufferingHintsParams, current: Hints | undefined, bounds: HintBounds): Replan {
  const target = { sizeInMBs: p.sizeInMBs, intervalInSeconds: p.intervalInSeconds };
  if (current === undefined) return { kind: 'update', hints: target };
  const inBounds = (h: Hints) => hintViolations(h, bounds).length === 0;
  let hints: Hints;
  if (p.intent === 'raise') {
    if (current.sizeInMBs >= p.sizeInMBs) return { kind: 'done', why: `SizeInMBs is already ${current.sizeInMBs} (wanted ${p.sizeInMBs})` };
    hints = { sizeInMBs: p.sizeInMBs, intervalInSeconds: current.intervalInSeconds };
  } else {
    if (current.intervalInSeconds <= p.intervalInSeconds)
      return { kind: 'done', why: `IntervalInSeconds is already ${current.intervalInSeconds} (wanted ${p.intervalInSeconds})` };
    hints = { sizeInMBs: current.sizeInMBs, intervalInSeconds: p.intervalInSeconds };
  }
  if (!inBounds(hints)) hints = target;
  const v = hintViolations(hints, bounds);
  if (v.length > 0) throw new Error(`re-planned buffering hints ${text(hints)} break the bounds: ${v.join('; ')}`);
  return { kind: 'update', hints };
}

/**
 * Set both buffering hints of the S3 destination with UpdateDestination and the VersionId the
 * plan read. Idempotent: a stream that already has the target hints is done. When the stream
 * changed since the plan (another VersionId, or ConcurrentModificationException), re-read it and
 * re-plan once within bounds; a second change gives up and the engine escalates.
 */
export const updateBufferingHintsAction: ActionDefinition<BufferingHintsParams, FirehoseDeliverySettings> = {
  type: UPDATE_BUFFERING_HINTS,
  iamActions: ['firehose:DescribeDeliveryStream', 'firehose:UpdateDestination'],
  params: bufferingHintsParams,
  checkBounds(p, { pipeline, settings }) {
    const v: string[] = [];
    const configured = pipeline.sink?.deliveryStreamName;
    if (p.deliveryStreamName !== configured) v.push(`deliveryStreamName ${p.deliveryStreamName} is not the configured ${configured ?? '(no sink)'}`);
    v.push(...hintViolations({ sizeInMBs: p.sizeInMBs, intervalInSeconds: p.intervalInSeconds }, settings.bounds));
    return v;
  },
  async execute(p, ctx: ActionContext<FirehoseDeliverySettings>): Promise<ActionOutcome> {
    const fh = ctx.aws.firehose;
    const stream = streamNameOf(ctx.pipeline);
    if (p.deliveryStreamName !== stream) throw new Error(`refusing to change ${p.deliveryStreamName}: the pipeline's stream is ${stream}`);
    const target: Hints = { sizeInMBs: p.sizeInMBs, intervalInSeconds: p.intervalInSeconds };
    const first = await readState(fh, p);
    const before = { versionId: first.versionId, sizeInMBs: first.hints?.sizeInMBs ?? null, intervalInSeconds: first.hints?.intervalInSeconds ?? null };
    if (same(first.hints, target)) {
      return { summary: `${stream} already has buffering hints ${text(target)}`, before, after: { ...before } };
    }
    let replanned = false;
    let versionId = p.versionId;
    let hints = target;
    const replanOn = (state: StreamState): ActionOutcome | undefined => {
      const r = replanHints(p, state.hints, ctx.settings.bounds);
      replanned = true;
      versionId = state.versionId;
      if (r.kind === 'done') {
        return {
          summary: `${stream} was changed by someone else (version ${state.versionId}, ${text(state.hints)}): ${r.why}; nothing to do`,
          before,
          after: {
            versionId: state.versionId,
            sizeInMBs: state.hints?.sizeInMBs ?? null,
            intervalInSeconds: state.hints?.intervalInSeconds ?? null,
            replanned,
          },
        };
      }
      hints = r.hints;
      return undefined;
    };
    if (first.versionId !== p.versionId) {
      const done = replanOn(first);
      if (done) return done;
    }
    try {
      await fh.updateBufferingHints(stream, versionId, p.destinationId, hints);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      if (replanned) throw new StreamChangedError(`${stream} changed again during the fix (after one re-plan): giving up`, { cause: e });
      const done = replanOn(await readState(fh, p));
      if (done) return done;
      try {
        await fh.updateBufferingHints(stream, versionId, p.destinationId, hints);
      } catch (e2) {
        if (e2 instanceof ConflictError) throw new StreamChangedError(`${stream} changed again during the fix (after one re-plan): giving up`, { cause: e2 });
        throw e2;
      }
    }
    return {
      summary: `set ${stream} buffering hints ${text(first.hints)} → ${text(hints)}${replanned ? ` (re-planned on version ${versionId} after a concurrent change)` : ''}`,
      before,
      after: { versionId, sizeInMBs: hints.sizeInMBs, intervalInSeconds: hints.intervalInSeconds, replanned },
    };
  },
};
