import * as z from 'zod';
import { wrongRuntime } from '../../config/job-kind';
import { AwsRequestError } from '../../core/errors';
import type { ActionDefinition, ActionOutcome } from '../../core/playbook';

/**
 * Start a Managed Flink application from its latest snapshot: the runbooks' "restart from the
 * savepoint". `StartApplication` with `ApplicationRestoreType: RESTORE_FROM_LATEST_SNAPSHOT`
 * (API_ApplicationRestoreConfiguration); SKIP_RESTORE_FROM_SNAPSHOT would start without the
 * application's state and is never sent: the parameters cannot name it and the adapter cannot
 * send it.
 *
 * StartApplication takes no idempotency token and answers ResourceInUseException when the
 * application is not READY. So the action reads the application first: STARTING or RUNNING means
 * the start already happened (this incident's, resumed after a crash, or anyone's: either way one
 * job runs); only READY is started. A ResourceInUseException on the start (a retry after a start
 * whose answer was lost) is checked the same way.
 */

export const START_FLINK_APPLICATION = 'kinesisanalytics:StartApplication';

const params = z
  .object({
    applicationName: z.string().min(1),
    restoreType: z.literal('RESTORE_FROM_LATEST_SNAPSHOT'),
    /** The snapshot the plan saw as the newest READY one (evidence; the service picks the latest itself). */
    snapshotName: z.string().min(1),
    /** The version the plan read: the start is of that application as it was judged. */
    versionId: z.number().int().min(1),
  })
  .strict();

export type StartFlinkParams = z.infer<typeof params>;

const STARTED = new Set(['STARTING', 'RUNNING']);

export const startFlinkApplicationAction: ActionDefinition<StartFlinkParams> = {
  type: START_FLINK_APPLICATION,
  runtime: 'managed-flink',
  iamActions: ['kinesisanalytics:DescribeApplication', 'kinesisanalytics:StartApplication'],
  params,
  checkBounds(p, { pipeline }) {
    if (pipeline.job.kind !== 'managed-flink') return [wrongRuntime(pipeline, 'managed-flink')];
    return p.applicationName === pipeline.job.applicationName
      ? []
      : [`applicationName ${p.applicationName} is not the configured ${pipeline.job.applicationName}`];
  },
  async execute(p, ctx): Promise<ActionOutcome> {
    const flink = ctx.aws.flink;
    const before = await flink.describeApplication(p.applicationName);
    const was = { status: before.status, versionId: before.versionId };
    if (STARTED.has(before.status)) {
      return { summary: `${p.applicationName} is already ${before.status} (version ${before.versionId})`, before: was, after: was };
    }
    if (before.status !== 'READY') throw new Error(`${p.applicationName} is ${before.status}: StartApplication needs READY`);
    if (before.versionId !== p.versionId)
      throw new Error(`${p.applicationName} is at version ${before.versionId}, not the version ${p.versionId} the plan judged: someone changed it`);
    try {
      const { operationId } = await flink.startFromLatestSnapshot(p.applicationName);
      return {
        summary: `started ${p.applicationName} from its latest snapshot (${p.snapshotName} when planned)`,
        before: was,
        after: { status: 'STARTING', ...(operationId ? { operationId } : {}) },
      };
    } catch (e) {
      if (!(e instanceof AwsRequestError && e.code === 'ResourceInUseException')) throw e;
      const now = await flink.describeApplication(p.applicationName);
      if (!STARTED.has(now.status)) throw e;
      return {
        summary: `${p.applicationName} was already ${now.status} when started (a start whose answer was lost)`,
        before: was,
        after: { status: now.status, versionId: now.versionId },
      };
    }
  },
};
