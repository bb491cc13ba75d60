import type { StreamfixConfig } from '../lambdas/config';
import { functionName } from '../lambdas/core/names';
import { buildWiring } from '../lambdas/wiring';
import type { InvocationFrame } from './sim/clock';
import { isMutation, isPlatformRead } from './sim/calls';
import type { SimWorld } from './sim/world';
import type { TimelineEntry } from './scenario/schema';
import { isRecord } from '../lambdas/util/is-record';

/**
 * The `kill-invocation` timeline entry: the next invocation of a function (working on a given
 * pipeline, when one is named) that reaches a point is ended there as Lambda ends one, by its
 * timeout or by a crash; none of its code runs after that, and Lambda retries its event on its
 * own schedule (sim/lambda.ts). The points:
 *
 * - `mid-diagnosis`: at its first read of the platform, before the answer;
 * - `before-action`: at its first mutating call, before the call reaches the service (for a
 *   playbook: after the action's intent is recorded);
 * - `after-action`: right after its first mutating call took effect, before its result is
 *   recorded (for a replay: after a batch was acknowledged by Firehose PutRecordBatch or the Kafka
 *   send, before the progress write; for a checkpoint operation: after its first copy, write or
 *   deletion, before the progress write that follows it).
 *
 * For a manual operation (`operation:`), the same points: its reads of S3 and EMR are its
 * diagnosis, its first copy, write, deletion or send its first mutation (the ledger's writes are
 * bookkeeping, never a point). `call` narrows the point to one operation (`s3:DeleteObjects`: a
 * restore's or a reset's first deletion, past the backup's copies).
 */

type KillEntry = NonNullable<TimelineEntry['kill-invocation']>;

interface ArmedKill {
  functionName: string;
  pipeline?: string;
  /** `service:Operation`: only such a call reaches the point. */
  call?: string;
  point: KillEntry['point'];
  how: KillEntry['how'];
  armedAtMs: number;
}

/** The pipelines an invocation works on, judged from the event it was given. */
function pipelinesOf(payload: unknown, config: StreamfixConfig, alarmPipelines: Map<string, string>): string[] {
  if (!isRecord(payload)) return [];
  if (typeof payload.pipeline === 'string') return [payload.pipeline];
  const detail = isRecord(payload.detail) ? payload.detail : {};
  if (typeof detail.alarmName === 'string') {
    const p = alarmPipelines.get(detail.alarmName);
    return p ? [p] : [];
  }
  if (typeof detail.applicationId === 'string') {
    return Object.entries(config.pipelines)
      .filter(
        ([, p]) =>
          p.job.kind === 'emr-serverless' &&
          p.job.applicationId === detail.applicationId &&
          (typeof detail.jobRunName !== 'string' || detail.jobRunName === p.job.jobName),
      )
      .map(([name]) => name);
  }
  return [];
}

export class TimelineKills {
  private readonly armed: ArmedKill[] = [];
  private readonly alarmPipelines = new Map<string, string>();

  constructor(
    private readonly world: SimWorld,
    private readonly config: StreamfixConfig,
  ) {
    for (const w of buildWiring(config, { account: world.opts.account, region: world.opts.region, partition: 'aws' })) {
      for (const a of w.alarms) this.alarmPipelines.set(a.name, a.pipeline);
    }
    world.ctx.killPoint = (frame, call, phase) => this.at(frame, call, phase);
  }

  arm(e: KillEntry, note: string, fault: (text: string) => void): void {
    const target = e.playbook ?? e.operation!;
    this.armed.push({
      functionName: functionName(this.config.name, target),
      ...(e.pipeline ? { pipeline: e.pipeline } : {}),
      ...(e.call ? { call: e.call } : {}),
      point: e.point,
      how: e.how,
      armedAtMs: this.world.clock.now(),
    });
    fault(
      `kill-invocation ${functionName(this.config.name, target)}${e.pipeline ? ` (pipeline ${e.pipeline})` : ''}: the next invocation that reaches ${e.point}${e.call ? ` at ${e.call}` : ''} is ended by ${e.how === 'crash' ? 'a crash' : 'its timeout'}${note}`,
    );
  }

  private at(frame: InvocationFrame, call: { service: string; operation: string }, phase: 'before' | 'after'): boolean {
    const i = this.armed.findIndex((k) => k.functionName === frame.functionName && this.reaches(k, call, phase) && this.concerns(k, frame));
    if (i < 0) return false;
    const [k] = this.armed.splice(i, 1);
    this.world.record.event(
      this.world.clock.now(),
      'fault',
      `kill-invocation: ${frame.invocationId} reached ${k!.point} at ${call.service}:${call.operation}`,
      { invocationId: frame.invocationId },
    );
    this.world.lambda.kill(frame.invocationId, k!.how);
    return true;
  }

  private reaches(k: ArmedKill, call: { service: string; operation: string }, phase: 'before' | 'after'): boolean {
    if (k.call !== undefined && k.call !== `${call.service}:${call.operation}`) return false;
    switch (k.point) {
      case 'mid-diagnosis':
        return phase === 'before' && isPlatformRead(call.service, call.operation);
      case 'before-action':
        return phase === 'before' && isMutation(call.service, call.operation);
      case 'after-action':
        return phase === 'after' && isMutation(call.service, call.operation);
    }
  }

  private concerns(k: ArmedKill, frame: InvocationFrame): boolean {
    if (!k.pipeline) return true;
    const inv = this.world.record.invocations.find((i) => i.invocationId === frame.invocationId);
    return pipelinesOf(inv?.payload, this.config, this.alarmPipelines).includes(k.pipeline);
  }
}
