import { counterIncrease, latest, maxValue, slopePerMinute, type FlinkLogLine } from '../../analysis/flink-metrics';
import type { FlinkPipeline } from '../../config/schema';
import type { Trigger } from '../../core/trigger';
import { readFlinkLog, readFlinkMetrics } from '../../runtimes/managed-flink/read';
import type { PlaybookContext } from '../../core/playbook';
import type { CheckpointFailureSettings } from './manifest';

/**
 * checkpoint-failure's evidence on Managed Service for Apache Flink, read-only and in one round
 * trip: the application (status, version, checkpoint settings, snapshots, encryption key), the
 * guide's checkpoint metrics over the last 15 minutes (`numberOfFailedCheckpoints`,
 * `lastCheckpointDuration`, `lastCheckpointSize`), and the error lines of its log.
 */

export const CHECKPOINT_WINDOW_MINUTES = 15;

export interface FlinkCheckpointFailureEvidence {
  runtime: 'managed-flink';
  app: {
    status: string;
    versionId: number;
    checkpointing: { configurationType?: string; enabled?: boolean; intervalMs?: number; minPauseMs?: number };
    snapshotsEnabled: boolean;
    encryption?: { keyType: string; keyId?: string };
  };
  metrics: {
    windowMinutes: number;
    /** Failed checkpoints counted in the window. */
    failedCheckpoints: number;
    lastDurationMs: number | null;
    maxDurationMs: number | null;
    durationSlopeMsPerMinute: number | null;
    lastSizeBytes: number | null;
    firstSizeBytes: number | null;
    sizeSlopeBytesPerMinute: number | null;
  };
  /** Error lines of the window; absent when no log group is configured. */
  log?: FlinkLogLine[];
}

export async function diagnoseFlinkCheckpointFailure(
  ctx: PlaybookContext<CheckpointFailureSettings, FlinkPipeline>,
  _trigger: Trigger,
): Promise<FlinkCheckpointFailureEvidence> {
  const job = ctx.pipeline.job;
  const nowMs = ctx.clock.now();
  const startMs = nowMs - CHECKPOINT_WINDOW_MINUTES * 60_000;
  const [app, m, log] = await Promise.all([
    ctx.aws.flink.describeApplication(job.applicationName),
    readFlinkMetrics(
      ctx.aws.cloudwatch,
      job,
      [
        { name: 'numberOfFailedCheckpoints', stat: 'Maximum' },
        { name: 'lastCheckpointDuration', stat: 'Maximum' },
        { name: 'lastCheckpointSize', stat: 'Maximum' },
      ],
      startMs,
      nowMs,
    ),
    readFlinkLog(ctx.aws.logs, job, startMs, nowMs),
  ]);
  const duration = m.lastCheckpointDuration ?? [];
  const size = m.lastCheckpointSize ?? [];
  return {
    runtime: 'managed-flink',
    app: {
      status: app.status,
      versionId: app.versionId,
      checkpointing: app.checkpoint,
      snapshotsEnabled: app.snapshotsEnabled,
      ...(app.encryption ? { encryption: app.encryption } : {}),
    },
    metrics: {
      windowMinutes: CHECKPOINT_WINDOW_MINUTES,
      failedCheckpoints: counterIncrease(m.numberOfFailedCheckpoints ?? []),
      lastDurationMs: latest(duration)?.value ?? null,
      maxDurationMs: maxValue(duration),
      durationSlopeMsPerMinute: slopePerMinute(duration),
      lastSizeBytes: latest(size)?.value ?? null,
      firstSizeBytes: size[0]?.value ?? null,
      sizeSlopeBytesPerMinute: slopePerMinute(size),
    },
    ...(log ? { log } : {}),
  };
}

/**
 * The action and resource of an access denial as AWS words it ("… is not authorized to perform:
 * kms:GenerateDataKey on resource: arn:… because …": IAM User Guide, "Troubleshoot access denied
 * error messages").
 */
export function deniedAction(text: string | undefined): { action: string; resource?: string } | undefined {
  const m = /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)(?:\s+on resource:?\s+(\S+?))?(?:\s+because|[\s;,)]|$)/i.exec(text ?? '');
  return m ? { action: m[1]!, ...(m[2] ? { resource: m[2] } : {}) } : undefined;
}
