import * as z from 'zod';
import type { FlinkApplicationView, ManagedFlinkAdapter } from '../../adapters/managed-flink';
import { wrongRuntime } from '../../config/job-kind';
import { ConflictError } from '../../core/errors';
import type { ActionDefinition, ActionOutcome } from '../../core/playbook';

/**
 * Raise a Managed Flink application's parallelism: `UpdateApplication` with the current version
 * id (`CurrentApplicationVersionId`) and only `ParallelismConfigurationUpdate` (CUSTOM,
 * ParallelismUpdate). A running application is restarted by the update from a snapshot taken as
 * it stops, so its state carries over; with snapshots disabled that restart would drop the state,
 * and the action refuses.
 *
 * Bounds: the configured application; the new parallelism above the old, at most
 * `maxParallelism`, at most the old × `maxScaleFactor`, and never above the source's partitions
 * or shards (a task beyond them reads nothing: add shards or partitions instead, never automatic).
 *
 * Idempotent: the parallelism to set is absolute; an application already at it is left alone. A
 * ConcurrentModificationException (the version moved under us: our own earlier update whose answer
 * was lost, or someone else's) re-reads once: already at the target → done; still at the old
 * value → one more update on the new version; anything else → refused.
 */

export const SCALE_FLINK_APPLICATION = 'kinesisanalytics:UpdateApplication';

const params = z
  .object({
    applicationName: z.string().min(1),
    fromParallelism: z.number().int().min(1),
    toParallelism: z.number().int().min(1),
    /** The source's partitions (Kafka) or open shards (Kinesis) when planned; null: unknown. */
    sourcePartitions: z.number().int().min(1).nullable(),
  })
  .strict();

export type ScaleFlinkParams = z.infer<typeof params>;

/** The bounds the action reads from its playbook's settings. */
export interface FlinkScaleSettings {
  bounds: { maxParallelism: number; maxScaleFactor: number };
}

const UPDATABLE = new Set(['RUNNING', 'READY']);

async function updateOnce(flink: ManagedFlinkAdapter, app: FlinkApplicationView, to: number) {
  if (!UPDATABLE.has(app.status)) throw new Error(`${app.name} is ${app.status}: not updated now`);
  if (app.status === 'RUNNING' && !app.snapshotsEnabled) throw new Error(`${app.name} has snapshots disabled: an update would restart it without its state`);
  return flink.updateParallelism(app.name, app.versionId, to);
}

export const scaleFlinkApplicationAction: ActionDefinition<ScaleFlinkParams, FlinkScaleSettings> = {
  type: SCALE_FLINK_APPLICATION,
  runtime: 'managed-flink',
  iamActions: ['kinesisanalytics:DescribeApplication', 'kinesisanalytics:UpdateApplication'],
  params,
  checkBounds(p, { pipeline, settings }) {
    if (pipeline.job.kind !== 'managed-flink') return [wrongRuntime(pipeline, 'managed-flink')];
    const b = settings.bounds;
    const v: string[] = [];
    if (p.applicationName !== pipeline.job.applicationName)
      v.push(`applicationName ${p.applicationName} is not the configured ${pipeline.job.applicationName}`);
    if (p.toParallelism <= p.fromParallelism) v.push(`toParallelism ${p.toParallelism} is not above fromParallelism ${p.fromParallelism}`);
    if (p.toParallelism > b.maxParallelism) v.push(`toParallelism ${p.toParallelism} is over the bound maxParallelism ${b.maxParallelism}`);
    const cap = Math.floor(p.fromParallelism * b.maxScaleFactor);
    if (p.toParallelism > cap) v.push(`toParallelism ${p.toParallelism} is over ${p.fromParallelism} × maxScaleFactor ${b.maxScaleFactor} = ${cap}`);
    if (p.sourcePartitions === null) v.push("sourcePartitions is unknown: parallelism is never raised without knowing the source's partitions or shards");
    else if (p.toParallelism > p.sourcePartitions) v.push(`toParallelism ${p.toParallelism} is above the source's ${p.sourcePartitions} partitions/shards`);
    return v;
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const flink = ctx.aws.flink;
    const app = await flink.describeApplication(p.applicationName);
    const before = { parallelism: app.parallelism.parallelism ?? null, versionId: app.versionId, status: app.status };
    const done = (a: FlinkApplicationView, how: string): ActionOutcome => ({
      summary: `${p.applicationName} parallelism is already ${a.parallelism.parallelism} (${how})`,
      before,
      after: { parallelism: a.parallelism.parallelism ?? null, versionId: a.versionId },
    });
    if ((app.parallelism.parallelism ?? 0) >= p.toParallelism) return done(app, 'nothing to update');
    if (app.parallelism.parallelism !== p.fromParallelism)
      throw new Error(
        `${p.applicationName} parallelism is ${app.parallelism.parallelism ?? 'unset'}, not the ${p.fromParallelism} the plan judged: changed since`,
      );
    let r;
    try {
      r = await updateOnce(flink, app, p.toParallelism);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      const again = await flink.describeApplication(p.applicationName);
      if ((again.parallelism.parallelism ?? 0) >= p.toParallelism) return done(again, 'an update whose answer was lost took effect');
      if (again.parallelism.parallelism !== p.fromParallelism)
        throw new Error(`${p.applicationName} changed under the update: parallelism ${again.parallelism.parallelism ?? 'unset'}, version ${again.versionId}`, {
          cause: e,
        });
      r = await updateOnce(flink, again, p.toParallelism);
    }
    return {
      summary: `${p.applicationName} parallelism ${p.fromParallelism} → ${p.toParallelism} (version ${r.versionId}, ${r.status})`,
      before,
      after: { parallelism: p.toParallelism, versionId: r.versionId, status: r.status },
    };
  },
};
