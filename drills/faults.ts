import type { StreamfixConfig } from '../lambdas/config';
import { functionName, pauseParameterName, pipelinePauseParameterPrefix } from '../lambdas/core/names';
import { applyFirehoseFault, isFirehoseFault } from './firehose';
import { applyFlinkFault, isFlinkFault } from './flink';
import { applyMskFault, isMskFault } from './msk';
import { applyDlqFault, isDlqFault } from './dlq';
import { applyCheckpointFault, isCheckpointFault } from './checkpoint';
import { emrJobOf } from './jobs';
import { TimelineKills } from './kills';
import { applyApprovalEntry, isApprovalEntry } from './approvals';
import type { Ledger } from '../lambdas/ledger/ledger';
import type { TimelineEntry } from './scenario/schema';
import type { SimJobRun } from './sim/emr-state';
import type { SimWorld } from './sim/world';

/**
 * Carries out a scenario's timeline entries in the simulated world: faults (a job run fails or
 * is cancelled, events are lost or duplicated, PagerDuty or an AWS API errors, a pause) and
 * raw deliveries to a playbook's function. Each is written to the record as a `fault`.
 */

const STATUS_BY_ERROR: Record<string, number> = {
  ThrottlingException: 429,
  TooManyRequestsException: 429,
  Throttling: 400,
  SlowDown: 503,
  InternalServerException: 500,
  InternalServerError: 500,
  InternalFailure: 500,
  InternalServiceError: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  AccessDeniedException: 403,
  AccessDenied: 403,
  ResourceNotFoundException: 404,
};

export const PERSON_CANCEL_DETAILS = 'Job run cancelled by user.';
export const SYSTEM_CANCEL_DETAILS = 'Job run was cancelled because the execution timeout was reached.';

const newest = (runs: SimJobRun[]) => [...runs].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];

export class FaultInjector {
  private readonly kills: TimelineKills;

  constructor(
    private readonly world: SimWorld,
    private readonly config: StreamfixConfig,
    private readonly functionArn: (playbook: string) => string,
    /** The drill's ledger: `approve` and `deny` find the incident that asked in it. */
    private readonly ledger?: Ledger,
  ) {
    this.kills = new TimelineKills(world, config);
  }

  /** Schedules every entry at `start + at`. */
  schedule(startMs: number, entries: TimelineEntry[]): void {
    entries.forEach((e, i) => this.world.clock.at(startMs + e.at, `timeline[${i}]`, () => this.apply(e)));
  }

  private job(pipeline: string) {
    return emrJobOf(this.config, pipeline, 'job run fault');
  }

  private fault(text: string, data?: Record<string, unknown>): void {
    this.world.record.event(this.world.clock.now(), 'fault', text, data);
  }

  apply(e: TimelineEntry): void | Promise<void> {
    const w = this.world;
    const note = e.note ? ` (${e.note})` : '';
    if (isApprovalEntry(e)) return applyApprovalEntry(w, this.config, e, note, (text) => this.fault(text), this.functionArn, this.ledger);
    if (e['fail-job-run']) {
      const f = e['fail-job-run'];
      const job = this.job(f.pipeline);
      const run = newest(w.emr.activeRuns(job.applicationId, job.jobName));
      if (!run) return this.fault(`fail-job-run ${f.pipeline}: no active run of ${job.jobName} to fail${note}`);
      this.fault(`fail-job-run ${f.pipeline}: ${run.jobRunId} fails: ${f.stateDetails}${note}`, { jobRunId: run.jobRunId });
      w.emr.failRun(run.jobRunId, f.stateDetails);
    } else if (e['cancel-job-run']) {
      const f = e['cancel-job-run'];
      const job = this.job(f.pipeline);
      const run = newest(w.emr.activeRuns(job.applicationId, job.jobName).filter((r) => r.state !== 'CANCELLING'));
      if (!run) return this.fault(`cancel-job-run ${f.pipeline}: no active run of ${job.jobName} to cancel${note}`);
      const details = f.stateDetails ?? (f.by === 'person' ? PERSON_CANCEL_DETAILS : SYSTEM_CANCEL_DETAILS);
      this.fault(`cancel-job-run ${f.pipeline}: ${run.jobRunId} cancelled by ${f.by}: ${details}${note}`, { jobRunId: run.jobRunId });
      w.emr.cancelRun(run.jobRunId, details);
    } else if (e['crash-new-runs']) {
      const f = e['crash-new-runs'];
      const job = this.job(f.pipeline);
      w.emr.crashNewRuns(job.applicationId, job.jobName, f.after, f.stateDetails, {
        ...(f.for !== undefined ? { forMs: f.for } : {}),
        ...(f.untilExecutorMemoryGiB !== undefined ? { untilExecutorMemoryGiB: f.untilExecutorMemoryGiB } : {}),
      });
      const limits = [
        f.for !== undefined ? `for ${f.for / 1000} s` : '',
        f.untilExecutorMemoryGiB !== undefined ? `unless spark.executor.memory ≥ ${f.untilExecutorMemoryGiB} GiB` : '',
      ]
        .filter(Boolean)
        .join(', ');
      this.fault(
        `crash-new-runs ${f.pipeline}: every new run and attempt of ${job.jobName} crashes ${f.after / 1000} s after RUNNING${limits ? ` (${limits})` : ''}: ${f.stateDetails}${note}`,
      );
    } else if (e['break-entry-point']) {
      const f = e['break-entry-point'];
      let entryPoint = f.entryPoint;
      if (f.pipeline !== undefined) {
        const job = this.job(f.pipeline);
        const run = newest(w.emr.allRuns().filter((r) => r.applicationId === job.applicationId && r.name === job.jobName));
        entryPoint = run?.jobDriver?.sparkSubmit?.entryPoint;
      }
      if (!entryPoint) return this.fault(`break-entry-point: no entry point known${note}`);
      w.emr.markBroken(entryPoint, f.stateDetails);
      this.fault(`break-entry-point ${entryPoint}: new runs fail with: ${f.stateDetails}${note}`);
    } else if (e['drop-native-events']) {
      const f = e['drop-native-events'];
      w.emr.dropNativeEvents(f.count, f.states);
      this.fault(`drop-native-events: the next ${f.count} job run event(s)${f.states ? ` (${f.states.join(', ')})` : ''} are lost${note}`);
    } else if (e['duplicate-deliveries']) {
      const f = e['duplicate-deliveries'];
      w.eventBridge.duplicateDeliveries({ times: f.times, concurrent: f.concurrent, count: f.count, ...(f.source ? { source: f.source } : {}) });
      this.fault(`duplicate-deliveries: the next ${f.count} delivery(ies) arrive ${f.times}×${f.concurrent ? ' concurrently' : ''}${note}`);
    } else if (e['pagerduty-errors']) {
      const f = e['pagerduty-errors'];
      w.pagerDuty.failNext(f.status, f.count);
      this.fault(`pagerduty-errors: the next ${f.count} PagerDuty request(s) answer ${f.status}${note}`);
    } else if (e['aws-errors']) {
      const f = e['aws-errors'];
      const status = f.status ?? STATUS_BY_ERROR[f.error] ?? 400;
      w.callFaults.push({
        service: f.service,
        operation: f.operation,
        errorName: f.error,
        status,
        message: f.message ?? `${f.error} (injected by the drill)`,
        remaining: f.count,
      });
      this.fault(`aws-errors: the next ${f.count} ${f.service} ${f.operation} call(s) fail with ${f.error} (${status})${note}`);
    } else if (e.pause) {
      const name = e.pause.pipeline ? `${pipelinePauseParameterPrefix(this.config.name)}${e.pause.pipeline}` : pauseParameterName(this.config.name);
      w.ssm.set(name, e.pause.reason);
      this.fault(`pause ${e.pause.pipeline ?? 'everything'}: ${name} = ${e.pause.reason}${note}`);
    } else if (e.resume) {
      const name = e.resume.pipeline ? `${pipelinePauseParameterPrefix(this.config.name)}${e.resume.pipeline}` : pauseParameterName(this.config.name);
      w.ssm.set(name, 'off');
      this.fault(`resume ${e.resume.pipeline ?? 'everything'}: ${name} = off${note}`);
    } else if (e['put-metric']) {
      const f = e['put-metric'];
      w.cloudwatch.store.putValue({ namespace: f.namespace, metricName: f.metricName, dimensions: f.dimensions }, w.clock.now(), f.value, f.unit);
      this.fault(`put-metric ${f.namespace} ${f.metricName} = ${f.value}${note}`);
    } else if (isCheckpointFault(e)) {
      applyCheckpointFault(w, this.config, e, note, (text) => this.fault(text));
    } else if (isDlqFault(e)) {
      applyDlqFault(w, this.config, e, note, (text) => this.fault(text), this.functionArn);
    } else if (isMskFault(e)) {
      applyMskFault(w, this.config, e, note, (text) => this.fault(text));
    } else if (isFlinkFault(e)) {
      applyFlinkFault(w, this.config, e, note, (text) => this.fault(text));
    } else if (isFirehoseFault(e)) {
      applyFirehoseFault(w, this.config, e, note, (text) => this.fault(text));
    } else if (e['kill-invocation']) {
      this.kills.arm(e['kill-invocation'], note, (text) => this.fault(text));
    } else if (e['mute-alarm']) {
      const f = e['mute-alarm'];
      if (!w.cloudwatch.hasAlarm(f.alarm)) return this.fault(`mute-alarm: no alarm named ${f.alarm} in this drill${note}`);
      const now = w.clock.now();
      w.cloudwatch.muteAlarm(f.alarm, f.rule, now, now + f.for);
      this.fault(`mute-alarm ${f.alarm}: mute rule ${f.rule} mutes its actions for ${f.for / 1000} s${note}`);
    } else if (e.deliver) {
      const f = e.deliver;
      const arn = this.functionArn(f.playbook);
      this.fault(
        `deliver to ${functionName(this.config.name, f.playbook)}: ${String(f.event['detail-type'] ?? 'event')}${f.times > 1 ? ` ×${f.times}${f.concurrent ? ' concurrently' : ''}` : ''}${note}`,
      );
      if (f.concurrent) {
        for (let k = 0; k < f.times; k++) w.lambda.invokeAsync(arn, f.event, 'drill');
      } else {
        for (let k = 0; k < f.times; k++) w.clock.after(k * 1_000, 'deliver', () => void w.lambda.invokeAsync(arn, f.event, 'drill'));
      }
    }
  }
}
