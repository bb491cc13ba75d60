import type { FlinkPipeline } from '../../config/schema';
import { escalate, ignore, type Decision, type Evidence, type Recommendation } from '../../core/decision';
import { flinkCommands } from '../../runtimes/managed-flink/commands';
import type { PlanInput } from '../../core/playbook';
import { classifyText } from '../../analysis/checkpoint/classify';
import { deniedAction, type FlinkCheckpointFailureEvidence } from './flink-diagnose';
import type { CheckpointFailureSettings } from './manifest';
import { CheckpointReason } from './plan';

/**
 * checkpoint-failure on Managed Service for Apache Flink. Pure. Nothing is ever changed
 * automatically: state and snapshots are never deleted, and every fix is a configuration or
 * policy change a person makes. The failure is classified from the log (access or KMS denial with
 * the action it names, timeout, state too large, a full disk) and the guide's checkpoint metrics
 * (failed checkpoints growing, `lastCheckpointDuration` near the timeout, `lastCheckpointSize`
 * growing), and escalated with the exact change: the `update-application` command for the
 * checkpoint interval and pause, incremental checkpoints, or the key-policy statement that is
 * missing.
 */

export const FlinkCheckpointReason = {
  STATE_TOO_LARGE: 'CHECKPOINT_STATE_TOO_LARGE',
  SLOW: 'CHECKPOINT_SLOW',
  HEALTHY: 'CHECKPOINTS_HEALTHY',
  NOT_RUNNING: 'CHECKPOINT_APPLICATION_NOT_RUNNING',
  DISABLED: 'CHECKPOINTING_DISABLED',
} as const;

const R = CheckpointReason;
const F = FlinkCheckpointReason;
type Input = PlanInput<CheckpointFailureSettings, FlinkCheckpointFailureEvidence, FlinkPipeline>;

const MSF_PRINCIPALS = ['kinesisanalytics.amazonaws.com', 'infrastructure.kinesisanalytics.amazonaws.com'];

const oneLine = (t: string | undefined, max = 300) => {
  const flat = (t ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The newest error line that says something about checkpoints (else the newest error line). */
function checkpointText(e: FlinkCheckpointFailureEvidence): string | undefined {
  const lines = [...(e.log ?? [])].filter((l) => l.level === undefined || l.level === 'ERROR').sort((a, b) => b.atMs - a.atMs);
  return (lines.find((l) => /checkpoint|snapshot/i.test(l.text)) ?? lines[0])?.text;
}

type Kind = 'kms' | 'access-denied' | 'timeout' | 'state-too-large' | 'disk-full' | 'unknown';

export function flinkFailureKind(e: FlinkCheckpointFailureEvidence, s: CheckpointFailureSettings, text: string | undefined): Kind {
  const b = s.bounds;
  const named = classifyText(text, b).map((k) => k.kind);
  if (named.includes('kms')) return 'kms';
  if (named.includes('access-denied')) return deniedAction(text)?.action.startsWith('kms:') ? 'kms' : 'access-denied';
  if (named.includes('disk-full')) return 'disk-full';
  const tooLarge = text !== undefined && b.stateTooLargePatterns.some((p) => new RegExp(p, 'i').test(text));
  const m = e.metrics;
  const nearTimeout = m.maxDurationMs !== null && m.maxDurationMs >= b.nearTimeoutRatio * b.checkpointTimeoutMs;
  const growing =
    m.sizeSlopeBytesPerMinute !== null &&
    m.sizeSlopeBytesPerMinute > 0 &&
    m.firstSizeBytes !== null &&
    m.lastSizeBytes !== null &&
    m.lastSizeBytes > m.firstSizeBytes * 1.2;
  if (tooLarge || (nearTimeout && growing)) return 'state-too-large';
  if (named.includes('timeout') || nearTimeout) return 'timeout';
  return 'unknown';
}

function evidenceOf(input: Input, kind: Kind, text: string | undefined): Evidence {
  const { evidence: e, settings } = input;
  const m = e.metrics;
  const denied = deniedAction(text);
  return {
    failureKind: kind,
    failureText: text?.slice(0, 500) ?? null,
    applicationStatus: e.app.status,
    applicationVersionId: e.app.versionId,
    checkpointingEnabled: e.app.checkpointing.enabled ?? null,
    checkpointIntervalMs: e.app.checkpointing.intervalMs ?? null,
    minPauseBetweenCheckpointsMs: e.app.checkpointing.minPauseMs ?? null,
    checkpointTimeoutMs: settings.bounds.checkpointTimeoutMs,
    failedCheckpointsInWindow: m.failedCheckpoints,
    windowMinutes: m.windowMinutes,
    lastCheckpointDurationMs: m.lastDurationMs,
    maxCheckpointDurationMs: m.maxDurationMs,
    checkpointDurationSlopeMsPerMinute: m.durationSlopeMsPerMinute === null ? null : Math.round(m.durationSlopeMsPerMinute),
    lastCheckpointSizeBytes: m.lastSizeBytes,
    checkpointSizeSlopeBytesPerMinute: m.sizeSlopeBytesPerMinute === null ? null : Math.round(m.sizeSlopeBytesPerMinute),
    deniedAction: denied?.action ?? null,
    deniedResource: denied?.resource ?? null,
    encryptionKeyType: e.app.encryption?.keyType ?? null,
    encryptionKeyId: e.app.encryption?.keyId ?? null,
    logErrorLines: e.log ? e.log.length : null,
  };
}

/** Checkpoint interval and pause that leave room for checkpoints as slow as the slowest seen. */
function intervalAdvice(input: Input): { intervalMs: number; minPauseMs: number } {
  const { evidence: e } = input;
  const slowest = e.metrics.maxDurationMs ?? 0;
  const interval = e.app.checkpointing.intervalMs ?? 60_000;
  const round = (ms: number) => Math.ceil(ms / 10_000) * 10_000;
  return { intervalMs: round(Math.max(interval * 2, slowest * 2)), minPauseMs: round(Math.max(e.app.checkpointing.minPauseMs ?? 5_000, slowest)) };
}

function configRecommendation(input: Input, kind: 'timeout' | 'state-too-large' | 'slow'): Recommendation {
  const job = input.pipeline.job;
  const a = intervalAdvice(input);
  const incremental = 'incremental checkpoints (state.backend.incremental: true, a support case: "Modifiable Flink configuration properties")';
  const timeout = `the checkpoint timeout (execution.checkpointing.timeout, in the application; now taken as ${input.settings.bounds.checkpointTimeoutMs} ms)`;
  const summary =
    kind === 'state-too-large'
      ? `the state grows until a checkpoint cannot finish: turn on ${incremental}, bound the state (state TTL, smaller windows), and give checkpoints room (interval ${a.intervalMs} ms, pause ${a.minPauseMs} ms)`
      : `give checkpoints room: checkpoint interval ${a.intervalMs} ms and pause ${a.minPauseMs} ms (the command), raise ${timeout}, or turn on ${incremental}`;
  return {
    summary,
    command: flinkCommands.checkpointing(job, input.evidence.app.versionId, a.intervalMs, a.minPauseMs),
    detail: { checkpointIntervalMs: a.intervalMs, minPauseBetweenCheckpointsMs: a.minPauseMs },
  };
}

export function planFlinkCheckpointFailure(input: Input): Decision {
  const { evidence: e, settings, pipeline } = input;
  const job = pipeline.job;
  const b = settings.bounds;
  const text = checkpointText(e);
  const kind = flinkFailureKind(e, settings, text);
  const ev = evidenceOf(input, kind, text);
  const m = e.metrics;
  if (e.app.status !== 'RUNNING') {
    return ignore(
      F.NOT_RUNNING,
      `${job.applicationName} is ${e.app.status}: it takes no checkpoints now (job-failed judges an application that is not running)`,
      ev,
    );
  }
  if (e.app.checkpointing.enabled === false) {
    return escalate(F.DISABLED, `${job.applicationName} has checkpointing disabled: a failure loses everything since its last snapshot`, ev, 'error', {
      summary: 'turn checkpointing on (a CUSTOM checkpoint configuration)',
      command: flinkCommands.checkpointing(job, e.app.versionId, e.app.checkpointing.intervalMs ?? 60_000, e.app.checkpointing.minPauseMs ?? 5_000),
    });
  }
  // A denial, or a full disk, in the log: one failed checkpoint is enough; anything else must repeat.
  const named = kind === 'kms' || kind === 'access-denied' || kind === 'disk-full';
  const failing = m.failedCheckpoints >= b.failedCheckpointsToEscalate || (named && m.failedCheckpoints >= 1);
  const slow = m.maxDurationMs !== null && m.maxDurationMs > b.slowCheckpointMs;
  if (!failing && !slow && kind === 'unknown') {
    return ignore(
      F.HEALTHY,
      `${job.applicationName}: ${m.failedCheckpoints} failed checkpoint(s) in ${m.windowMinutes} min (escalated from ${b.failedCheckpointsToEscalate}), slowest ${m.maxDurationMs ?? '?'} ms`,
      ev,
    );
  }
  const what = `${m.failedCheckpoints} failed checkpoint(s) of ${job.applicationName} in ${m.windowMinutes} min`;
  switch (kind) {
    case 'kms':
    case 'access-denied': {
      const denied = deniedAction(text);
      const cmk = e.app.encryption?.keyType === 'CUSTOMER_MANAGED_KEY' ? e.app.encryption.keyId : undefined;
      const key = denied?.resource ?? cmk;
      const statement = denied
        ? { Sid: 'AllowManagedFlinkCheckpoints', Effect: 'Allow', Principal: { Service: MSF_PRINCIPALS }, Action: [denied.action], Resource: '*' }
        : undefined;
      return escalate(
        kind === 'kms' ? R.KMS_DENIED : R.ACCESS_DENIED,
        `${what}: ${denied ? `${denied.action} is denied${denied.resource ? ` on ${denied.resource}` : ''}` : 'access is denied'} (${oneLine(text, 200)})`,
        ev,
        'critical',
        {
          summary:
            kind === 'kms' && key
              ? `the application's state is encrypted with ${key}: its key policy must let the Managed Flink service principals use it (${denied?.action ?? 'kms:GenerateDataKey, kms:Decrypt'}); never changed automatically`
              : `grant ${denied?.action ?? 'the denied action'} where the checkpoint needs it; never changed automatically`,
          command: key
            ? `aws kms get-key-policy --key-id ${key} --policy-name default --query Policy --output text`
            : flinkCommands.errors(job, input.nowMs - m.windowMinutes * 60_000),
          ...(statement ? { detail: { missingAction: denied!.action, resource: denied!.resource ?? null, keyPolicyStatement: statement } } : {}),
        },
      );
    }
    case 'disk-full':
      return escalate(R.DISK_FULL, `${what}: the task managers ran out of local disk`, ev, 'error', { ...configRecommendation(input, 'state-too-large') });
    case 'state-too-large':
      return escalate(
        F.STATE_TOO_LARGE,
        `${what}: the state is too large to checkpoint in time (size ${m.lastSizeBytes ?? '?'} bytes, growing ${Math.round(m.sizeSlopeBytesPerMinute ?? 0)} bytes/min; slowest ${m.maxDurationMs ?? '?'} ms of a ${b.checkpointTimeoutMs} ms timeout)`,
        ev,
        'error',
        configRecommendation(input, 'state-too-large'),
      );
    case 'timeout':
      return escalate(
        R.TIMEOUT,
        `${what}: checkpoints time out or come close (slowest ${m.maxDurationMs ?? '?'} ms of a ${b.checkpointTimeoutMs} ms timeout)`,
        ev,
        'error',
        configRecommendation(input, 'timeout'),
      );
    case 'unknown':
      if (!failing) {
        return escalate(
          F.SLOW,
          `checkpoints of ${job.applicationName} are slow (slowest ${m.maxDurationMs} ms, above ${b.slowCheckpointMs} ms) but none failed`,
          ev,
          'warning',
          configRecommendation(input, 'slow'),
        );
      }
      return escalate(
        R.UNCLASSIFIED,
        `${what}, cause not classified${text ? `: ${oneLine(text, 200)}` : e.log ? ' (no error line in the log)' : ' (no log group configured)'}`,
        ev,
        'error',
        {
          summary: "read the application's log around the failed checkpoints (the Flink dashboard's checkpoint tab has each failure's message)",
          command: flinkCommands.errors(job, input.nowMs - m.windowMinutes * 60_000),
        },
      );
  }
}
