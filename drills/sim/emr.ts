import {
  EMRServerlessServiceException,
  ResourceNotFoundException,
  ValidationException,
  type Application,
  type CancelJobRunRequest,
  type GetJobRunRequest,
  type JobRun,
  type JobRunState,
  type StartJobRunRequest,
} from '@aws-sdk/client-emr-serverless';
import { validateStartJobRun } from './emr-validation';
import { listJobRuns, type ListJobRunsInput } from './emr-list';
import type { SimContext, SimService } from './context';
import { jobRunStateChangeEvent } from './emr-events';

/**
 * EMR Serverless: applications and job runs, with the run state machine
 * (SUBMITTED → SCHEDULED → RUNNING, then FAILED / CANCELLING → CANCELLED) evolving in simulated
 * time, clientToken idempotency, and best-effort "Job Run State Change" events.
 */

export const ACTIVE_STATES: ReadonlySet<JobRunState> = new Set(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED']);
const TERMINAL_STATES: ReadonlySet<JobRunState> = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

export interface EmrTimings {
  scheduledAfterMs: number;
  runningAfterMs: number;
  cancelAfterMs: number;
}

export const DEFAULT_EMR_TIMINGS: EmrTimings = { scheduledAfterMs: 2_000, runningAfterMs: 10_000, cancelAfterMs: 10_000 };

/** A job run as GetJobRun returns it; every field is always set by the simulator. */
export type SimJobRun = JobRun & { applicationId: string; jobRunId: string; state: JobRunState; createdAt: Date; updatedAt: Date };

/** `seeded`: the run was put into the world by the scenario, not started through the API. */
export type StateListener = (run: SimJobRun, previous: JobRunState | undefined, seeded: boolean) => void;

interface RunMeta {
  /** Bumped on every state change: transitions scheduled for an older generation are dropped. */
  gen: number;
  crashAfterRunningMs?: number;
  crashDetails?: string;
}

export const DEPLOYER = (account: string) => `arn:aws:sts::${account}:assumed-role/StreamingDeployRole/deploy-session`;

export class SimEmrServerless implements SimService {
  readonly clientName = 'EMRServerlessClient';
  readonly service = 'emr-serverless';
  readonly baseException = EMRServerlessServiceException;
  readonly operations = {
    GetApplication: (i: { applicationId?: string }) => ({ application: this.app(i.applicationId) }),
    ListApplications: () => ({ applications: [...this.apps.values()].map(({ applicationId, id, name, arn, releaseLabel, type, state, createdAt, updatedAt }) => ({ applicationId, id, name, arn, releaseLabel, type, state, createdAt, updatedAt })) }),
    StartJobRun: (i: StartJobRunRequest) => this.startJobRun(i),
    GetJobRun: (i: GetJobRunRequest) => ({ jobRun: structuredClone(this.run(i.applicationId, i.jobRunId)) }),
    ListJobRuns: (i: ListJobRunsInput) => {
      this.app(i.applicationId);
      return listJobRuns([...this.runs.values()].filter((r) => r.applicationId === i.applicationId), i, this.ctx.err);
    },
    CancelJobRun: (i: CancelJobRunRequest) => this.cancelJobRun(i),
  };

  private readonly apps = new Map<string, Application & { id: string }>();
  private readonly runs = new Map<string, SimJobRun>();
  private readonly meta = new Map<string, RunMeta>();
  private readonly tokens = new Map<string, string>();
  private readonly broken = new Map<string, string>();
  private readonly crashLoops = new Map<string, { afterMs: number; stateDetails: string }>();
  private readonly listeners: StateListener[] = [];
  private readonly startListeners: ((run: SimJobRun, input: StartJobRunRequest) => void)[] = [];
  private drop: { remaining: number; states?: ReadonlySet<string> } = { remaining: 0 };
  /** Where state change events go (the simulated EventBridge). */
  publish: (event: Record<string, unknown>) => void = () => undefined;

  constructor(
    private readonly ctx: SimContext,
    readonly timings: EmrTimings = DEFAULT_EMR_TIMINGS,
  ) {}

  addApplication(a: { applicationId: string; name?: string; releaseLabel?: string; state?: string }): void {
    const now = new Date(this.ctx.clock.now() - 30 * 86_400_000);
    this.apps.set(a.applicationId, {
      applicationId: a.applicationId,
      id: a.applicationId,
      name: a.name ?? `app-${a.applicationId}`,
      arn: `arn:aws:emr-serverless:${this.ctx.region}:${this.ctx.account}:/applications/${a.applicationId}`,
      releaseLabel: a.releaseLabel ?? 'emr-7.2.0',
      type: 'Spark',
      state: (a.state ?? 'STARTED') as Application['state'],
      createdAt: now,
      updatedAt: now,
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
      architecture: 'X86_64',
    });
  }

  onStateChange(l: StateListener): void {
    this.listeners.push(l);
  }

  onStart(l: (run: SimJobRun, input: StartJobRunRequest) => void): void {
    this.startListeners.push(l);
  }

  /** Runs whose entry point is broken fail before they reach RUNNING, with these details. */
  markBroken(entryPoint: string, stateDetails: string): void {
    this.broken.set(entryPoint, stateDetails);
  }

  /** From now on, every new run of the job crashes `afterMs` after it reaches RUNNING. */
  crashNewRuns(applicationId: string, jobName: string, afterMs: number, stateDetails: string): void {
    this.crashLoops.set(`${applicationId}|${jobName}`, { afterMs, stateDetails });
  }

  /** The next `count` state change events (of these states, when given) are lost. */
  dropNativeEvents(count: number, states?: string[]): void {
    this.drop = { remaining: count, ...(states ? { states: new Set(states) } : {}) };
  }

  allRuns(): SimJobRun[] {
    return [...this.runs.values()];
  }

  getRun(jobRunId: string): SimJobRun | undefined {
    return this.runs.get(jobRunId);
  }

  activeRuns(applicationId: string, name: string | undefined): SimJobRun[] {
    return this.allRuns().filter((r) => r.applicationId === applicationId && r.name === name && ACTIVE_STATES.has(r.state));
  }

  /** Puts a run into the world as it already is (no events): the scenario's starting point. */
  seedRun(run: Omit<SimJobRun, 'arn' | 'jobRunId'> & { jobRunId?: string }): SimJobRun {
    const jobRunId = run.jobRunId ?? this.ctx.ids.emrId();
    const full = { ...run, jobRunId, arn: this.runArn(run.applicationId, jobRunId) } as SimJobRun;
    this.runs.set(jobRunId, full);
    this.meta.set(jobRunId, { gen: 0 });
    for (const l of this.listeners) l(full, undefined, true);
    return full;
  }

  /** A fault: the run fails now (from any active state). */
  failRun(jobRunId: string, stateDetails: string): void {
    this.transition(jobRunId, 'FAILED', stateDetails);
  }

  /** A fault or an operator: the run is cancelled (CANCELLING now, CANCELLED after the grace period). */
  cancelRun(jobRunId: string, stateDetails: string, afterMs = this.timings.cancelAfterMs): void {
    this.transition(jobRunId, 'CANCELLING', stateDetails);
    const gen = this.meta.get(jobRunId)!.gen;
    this.ctx.clock.after(afterMs, `emr ${jobRunId} CANCELLED`, () => {
      if (this.meta.get(jobRunId)!.gen === gen) this.transition(jobRunId, 'CANCELLED', stateDetails);
    });
  }

  private runArn(applicationId: string, jobRunId: string): string {
    return `arn:aws:emr-serverless:${this.ctx.region}:${this.ctx.account}:/applications/${applicationId}/jobruns/${jobRunId}`;
  }

  private app(applicationId: string | undefined): Application & { id: string } {
    const a = applicationId ? this.apps.get(applicationId) : undefined;
    if (!a) throw this.ctx.err(ResourceNotFoundException, 404, `Application ${applicationId} does not exist.`);
    return a;
  }

  private run(applicationId: string | undefined, jobRunId: string | undefined): SimJobRun {
    this.app(applicationId);
    const r = jobRunId ? this.runs.get(jobRunId) : undefined;
    if (!r || r.applicationId !== applicationId) throw this.ctx.err(ResourceNotFoundException, 404, `Job run ${jobRunId} does not exist.`);
    return r;
  }

  private startJobRun(input: StartJobRunRequest) {
    const problem = validateStartJobRun(input);
    if (problem) throw this.ctx.err(ValidationException, 400, problem);
    const app = this.app(input.applicationId);
    const token = input.clientToken ?? this.ctx.ids.uuid();
    const existing = this.tokens.get(`${app.applicationId}|${token}`);
    if (existing) {
      const r = this.runs.get(existing)!;
      return { applicationId: r.applicationId, jobRunId: r.jobRunId, arn: r.arn };
    }
    const now = new Date(this.ctx.clock.now());
    const jobRunId = this.ctx.ids.emrId();
    const frame = this.ctx.clock.currentFrame();
    const mode = input.mode ?? 'BATCH';
    const run: SimJobRun = {
      applicationId: app.id,
      jobRunId,
      ...(input.name !== undefined ? { name: input.name } : {}),
      arn: this.runArn(app.id, jobRunId),
      createdBy: frame
        ? `arn:aws:sts::${this.ctx.account}:assumed-role/${frame.functionName}/${frame.functionName}`
        : DEPLOYER(this.ctx.account),
      createdAt: now,
      updatedAt: now,
      executionRole: input.executionRoleArn!,
      state: 'SUBMITTED',
      stateDetails: '',
      releaseLabel: app.releaseLabel!,
      jobDriver: structuredClone(input.jobDriver!),
      ...(input.configurationOverrides ? { configurationOverrides: structuredClone(input.configurationOverrides) } : {}),
      tags: { ...(input.tags ?? {}) },
      mode,
      ...(mode === 'STREAMING' ? { retryPolicy: { maxFailedAttemptsPerHour: 5, ...(input.retryPolicy ?? {}) } } : input.retryPolicy ? { retryPolicy: input.retryPolicy } : {}),
      executionTimeoutMinutes: input.executionTimeoutMinutes ?? (mode === 'STREAMING' ? 0 : 720),
      attempt: 1,
      attemptCreatedAt: now,
      attemptUpdatedAt: now,
    };
    this.runs.set(jobRunId, run);
    this.tokens.set(`${app.applicationId}|${token}`, jobRunId);
    const crash = this.crashLoops.get(`${app.applicationId}|${run.name}`);
    this.meta.set(jobRunId, { gen: 0, ...(crash ? { crashAfterRunningMs: crash.afterMs, crashDetails: crash.stateDetails } : {}) });
    for (const l of this.startListeners) l(run, input);
    this.changed(run, undefined);
    this.scheduleStartup(run);
    return { applicationId: run.applicationId, jobRunId, arn: run.arn };
  }

  private scheduleStartup(run: SimJobRun): void {
    const { clock } = this.ctx;
    const id = run.jobRunId;
    const gen = () => this.meta.get(id)!.gen;
    const g0 = gen();
    clock.after(this.timings.scheduledAfterMs, `emr ${id} SCHEDULED`, () => {
      if (gen() !== g0) return;
      this.transition(id, 'SCHEDULED', '');
      const g1 = gen();
      clock.after(this.timings.runningAfterMs - this.timings.scheduledAfterMs, `emr ${id} RUNNING`, () => {
        if (gen() !== g1) return;
        const broken = this.broken.get(run.jobDriver?.sparkSubmit?.entryPoint ?? '');
        if (broken !== undefined) return this.transition(id, 'FAILED', broken);
        this.transition(id, 'RUNNING', '');
        const m = this.meta.get(id)!;
        if (m.crashAfterRunningMs === undefined) return;
        const g2 = gen();
        clock.after(m.crashAfterRunningMs, `emr ${id} crash`, () => {
          if (gen() === g2) this.transition(id, 'FAILED', m.crashDetails ?? 'Job failed.');
        });
      });
    });
  }

  private cancelJobRun(input: CancelJobRunRequest) {
    const run = this.run(input.applicationId, input.jobRunId);
    if (TERMINAL_STATES.has(run.state)) {
      throw this.ctx.err(ValidationException, 400, `Job run ${run.jobRunId} is in a terminal state (${run.state}) and cannot be cancelled.`);
    }
    if (run.state !== 'CANCELLING') {
      const grace = input.shutdownGracePeriodInSeconds;
      this.cancelRun(run.jobRunId, 'Job run cancelled by user.', grace !== undefined ? Math.min(grace * 1000, this.timings.cancelAfterMs) : undefined);
    }
    return { applicationId: run.applicationId, jobRunId: run.jobRunId };
  }

  private transition(jobRunId: string, state: JobRunState, stateDetails: string): void {
    const run = this.runs.get(jobRunId);
    if (!run || TERMINAL_STATES.has(run.state) || run.state === state) return;
    const previous = run.state;
    const now = new Date(this.ctx.clock.now());
    run.state = state;
    run.stateDetails = stateDetails;
    run.updatedAt = now;
    run.attemptUpdatedAt = now;
    if (state === 'RUNNING') run.startedAt = now;
    if (TERMINAL_STATES.has(state)) {
      run.endedAt = now;
      run.totalExecutionDurationSeconds = Math.round((now.getTime() - (run.startedAt ?? run.createdAt).getTime()) / 1000);
    }
    this.meta.get(jobRunId)!.gen++;
    this.changed(run, previous);
  }

  private changed(run: SimJobRun, previous: JobRunState | undefined): void {
    for (const l of this.listeners) l(run, previous, false);
    this.emit(run, previous);
  }

  private emit(run: SimJobRun, previous: JobRunState | undefined): void {
    const at = this.ctx.clock.now();
    const label = `${run.name ?? run.jobRunId} ${previous ?? '-'} → ${run.state}`;
    this.ctx.record.event(at, 'job-run', label, { jobRunId: run.jobRunId, state: run.state, stateDetails: run.stateDetails ?? '' });
    if (this.drop.remaining > 0 && (!this.drop.states || this.drop.states.has(run.state))) {
      this.drop.remaining--;
      this.ctx.record.event(at, 'event-dropped', `EMR Serverless Job Run State Change (${label}) was not delivered`);
      return;
    }
    this.publish(jobRunStateChangeEvent(run, previous, this.ctx));
  }
}
