import {
  EMRServerlessServiceException,
  ResourceNotFoundException,
  ValidationException,
  type CancelJobRunRequest,
  type GetJobRunRequest,
  type JobRunState,
  type ListJobRunAttemptsRequest,
  type StartJobRunRequest,
} from '@aws-sdk/client-emr-serverless';
import { cancelGraceMs, validateCancelGrace, validateStartJobRun } from './emr-validation';
import { listJobRuns, type ListJobRunsInput } from './emr-list';
import type { SimContext, SimService } from './context';
import { jobRunRetryEvent, jobRunStateChangeEvent } from './emr-events';
import { applicationView, newApplication, newJobRun, runArn, type SimApplication } from './emr-run';
import { CrashLoops, type CrashLoopOptions } from './emr-crash-loops';
import { cutStateDetails, listAttempts, newAttempt, retriesAfterFailure, runAtAttempt, type SimAttempt } from './emr-attempts';
import { ACTIVE_STATES, DEFAULT_EMR_TIMINGS, HOLDS_SLOT, TERMINAL_STATES, type EmrTimings, type SimJobRun, type StateListener } from './emr-state';

export { DEPLOYER } from './emr-run';

/**
 * EMR Serverless: applications and job runs, evolving in simulated time as the EMR Serverless
 * User Guide describes them ("Job run states", job-states.html): SUBMITTED → PENDING →
 * SCHEDULED → RUNNING, QUEUED while the application's concurrency is full, CANCELLING →
 * CANCELLED after the cancel grace period; on releases with job resiliency a failed attempt of a
 * streaming run is retried (emr-attempts.ts) and the run is FAILED only at the thrash limit.
 * clientToken idempotency; best-effort state change and retry events.
 */

interface RunMeta {
  /** Bumped on every state change: transitions scheduled for an older generation are dropped. */
  gen: number;
  attempts: SimAttempt[];
}

export class SimEmrServerless implements SimService {
  readonly clientName = 'EMRServerlessClient';
  readonly service = 'emr-serverless';
  readonly baseException = EMRServerlessServiceException;
  readonly operations = {
    GetApplication: (i: { applicationId?: string }) => ({ application: applicationView(this.app(i.applicationId)) }),
    ListApplications: () => ({
      applications: [...this.apps.values()].map(({ applicationId, id, name, arn, releaseLabel, type, state, createdAt, updatedAt }) => ({
        applicationId,
        id,
        name,
        arn,
        releaseLabel,
        type,
        state,
        createdAt,
        updatedAt,
      })),
    }),
    StartJobRun: (i: StartJobRunRequest) => this.startJobRun(i),
    GetJobRun: (i: GetJobRunRequest) => {
      const run = this.run(i.applicationId, i.jobRunId);
      return { jobRun: runAtAttempt(run, this.meta.get(run.jobRunId)!.attempts, i.attempt, this.ctx.err) };
    },
    ListJobRuns: (i: ListJobRunsInput) => {
      this.app(i.applicationId);
      return listJobRuns(
        [...this.runs.values()].filter((r) => r.applicationId === i.applicationId),
        i,
        this.ctx.err,
      );
    },
    ListJobRunAttempts: (i: ListJobRunAttemptsRequest) => {
      const run = this.run(i.applicationId, i.jobRunId);
      return listAttempts(run, this.meta.get(run.jobRunId)!.attempts, i, this.ctx.err);
    },
    CancelJobRun: (i: CancelJobRunRequest) => this.cancelJobRun(i),
  };

  private readonly apps = new Map<string, SimApplication>();
  private readonly runs = new Map<string, SimJobRun>();
  private readonly meta = new Map<string, RunMeta>();
  private readonly tokens = new Map<string, string>();
  private readonly broken = new Map<string, string>();
  private readonly crashLoops = new CrashLoops();
  private readonly listeners: StateListener[] = [];
  private readonly startListeners: ((run: SimJobRun, input: StartJobRunRequest) => void)[] = [];
  private drop: { remaining: number; states?: ReadonlySet<string> } = { remaining: 0 };
  /** Where state change and retry events go (the simulated EventBridge). */
  publish: (event: Record<string, unknown>) => void = () => undefined;
  /** Where a failed attempt's driver log goes (S3 and CloudWatch Logs, see emr-logs.ts). */
  driverLog: (run: SimJobRun, attempt: number, failure: string) => void = () => undefined;

  constructor(
    private readonly ctx: SimContext,
    readonly timings: EmrTimings = DEFAULT_EMR_TIMINGS,
  ) {}

  addApplication(a: { applicationId: string; name?: string; releaseLabel?: string; state?: string; maxConcurrentRuns?: number }): void {
    this.apps.set(a.applicationId, newApplication(this.ctx, a));
  }

  application(applicationId: string): SimApplication | undefined {
    return this.apps.get(applicationId);
  }

  onStateChange(l: StateListener): void {
    this.listeners.push(l);
  }

  onStart(l: (run: SimJobRun, input: StartJobRunRequest) => void): void {
    this.startListeners.push(l);
  }

  /** Attempts whose entry point is broken fail before they reach RUNNING, with these details. */
  markBroken(entryPoint: string, stateDetails: string): void {
    this.broken.set(entryPoint, stateDetails);
  }

  /** From now on (for `forMs`, when given), every new run and every new attempt of the job crashes `afterMs` after it reaches RUNNING (emr-crash-loops.ts). */
  crashNewRuns(applicationId: string, jobName: string, afterMs: number, stateDetails: string, opts: CrashLoopOptions = {}): void {
    this.crashLoops.set(applicationId, jobName, this.ctx.clock.now(), afterMs, stateDetails, opts);
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

  attempts(jobRunId: string): readonly SimAttempt[] {
    return this.meta.get(jobRunId)?.attempts ?? [];
  }

  activeRuns(applicationId: string, name: string | undefined): SimJobRun[] {
    return this.allRuns().filter((r) => r.applicationId === applicationId && r.name === name && ACTIVE_STATES.has(r.state));
  }

  /** Puts a run into the world as it already is (no events): the scenario's starting point. */
  seedRun(run: Omit<SimJobRun, 'arn' | 'jobRunId'> & { jobRunId?: string }): SimJobRun {
    const jobRunId = run.jobRunId ?? this.ctx.ids.emrId();
    const full = { ...run, jobRunId, arn: runArn(this.ctx, run.applicationId, jobRunId) } as SimJobRun;
    full.stateDetails = cutStateDetails(full.stateDetails ?? '');
    this.runs.set(jobRunId, full);
    const first = newAttempt(1, full.attemptCreatedAt ?? full.createdAt, full.state, full.stateDetails);
    if (TERMINAL_STATES.has(full.state)) first.endedAt = full.endedAt ?? full.updatedAt;
    this.meta.set(jobRunId, { gen: 0, attempts: [first] });
    for (const l of this.listeners) l(full, undefined, true);
    return full;
  }

  /**
   * A fault: the run's current attempt fails now, with this full text (its driver log has it;
   * stateDetails keeps the first 256 characters). What follows is the run's retry policy.
   */
  failRun(jobRunId: string, failure: string): void {
    const run = this.runs.get(jobRunId);
    if (!run || !ACTIVE_STATES.has(run.state)) return;
    const m = this.meta.get(jobRunId)!;
    const now = new Date(this.ctx.clock.now());
    const current = m.attempts[m.attempts.length - 1]!;
    Object.assign(current, { state: 'FAILED', stateDetails: cutStateDetails(failure), updatedAt: now, endedAt: now });
    this.driverLog(run, current.attempt, failure);
    if (retriesAfterFailure(run, m.attempts, now.getTime())) {
      this.retry(run, current);
      return;
    }
    this.transition(jobRunId, 'FAILED', cutStateDetails(failure));
  }

  /** A fault or an operator: the run is cancelled (CANCELLING now, CANCELLED once it has shut down). */
  cancelRun(jobRunId: string, stateDetails: string, afterMs = this.timings.cancelAfterMs): void {
    this.transition(jobRunId, 'CANCELLING', stateDetails);
    const gen = this.meta.get(jobRunId)!.gen;
    this.ctx.clock.after(afterMs, `emr ${jobRunId} CANCELLED`, () => {
      if (this.meta.get(jobRunId)!.gen === gen) this.transition(jobRunId, 'CANCELLED', stateDetails);
    });
  }

  private app(applicationId: string | undefined): SimApplication {
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
    const jobRunId = this.ctx.ids.emrId();
    const run = newJobRun(this.ctx, app, input, jobRunId);
    this.runs.set(jobRunId, run);
    this.tokens.set(`${app.applicationId}|${token}`, jobRunId);
    this.meta.set(jobRunId, { gen: 0, attempts: [newAttempt(1, run.createdAt)] });
    for (const l of this.startListeners) l(run, input);
    this.changed(run, undefined);
    this.scheduleStartup(run);
    return { applicationId: run.applicationId, jobRunId, arn: run.arn };
  }

  /** The current attempt's way from SUBMITTED to RUNNING (QUEUED on the way while the application is full). */
  private scheduleStartup(run: SimJobRun): void {
    const { clock } = this.ctx;
    const id = run.jobRunId;
    const t = this.timings;
    const gen = () => this.meta.get(id)!.gen;
    const g0 = gen();
    clock.after(t.pendingAfterMs, `emr ${id} PENDING`, () => {
      if (gen() !== g0) return;
      if (this.applicationFull(run)) return this.transition(id, 'QUEUED', '');
      this.pendingToRunning(run);
    });
  }

  private applicationFull(run: SimJobRun): boolean {
    const max = this.apps.get(run.applicationId)?.maxConcurrentRuns;
    if (max === undefined) return false;
    return this.allRuns().filter((r) => r.applicationId === run.applicationId && HOLDS_SLOT.has(r.state)).length >= max;
  }

  private pendingToRunning(run: SimJobRun): void {
    const { clock } = this.ctx;
    const id = run.jobRunId;
    const t = this.timings;
    const gen = () => this.meta.get(id)!.gen;
    this.transition(id, 'PENDING', '');
    const g1 = gen();
    clock.after(Math.max(0, t.scheduledAfterMs - t.pendingAfterMs), `emr ${id} SCHEDULED`, () => {
      if (gen() !== g1) return;
      this.transition(id, 'SCHEDULED', '');
      const g2 = gen();
      clock.after(Math.max(0, t.runningAfterMs - t.scheduledAfterMs), `emr ${id} RUNNING`, () => {
        if (gen() !== g2) return;
        const broken = this.broken.get(run.jobDriver?.sparkSubmit?.entryPoint ?? '');
        if (broken !== undefined) return this.failRun(id, broken);
        this.transition(id, 'RUNNING', '');
        const crash = this.crashLoops.catches(run);
        if (!crash) return;
        const g3 = gen();
        clock.after(crash.afterMs, `emr ${id} crash`, () => {
          if (gen() === g3) this.failRun(id, crash.stateDetails);
        });
      });
    });
  }

  /** EMR starts the next attempt of the run: a Retry event, then the new attempt's way to RUNNING. */
  private retry(run: SimJobRun, previous: SimAttempt): void {
    const m = this.meta.get(run.jobRunId)!;
    const now = new Date(this.ctx.clock.now());
    const next = newAttempt(previous.attempt + 1, now);
    m.attempts.push(next);
    Object.assign(run, { attempt: next.attempt, attemptCreatedAt: now, attemptUpdatedAt: now });
    this.ctx.record.event(now.getTime(), 'job-run', `${run.name ?? run.jobRunId} attempt ${previous.attempt} FAILED → EMR retries: attempt ${next.attempt}`, {
      jobRunId: run.jobRunId,
      attempt: next.attempt,
      stateDetails: previous.stateDetails,
    });
    this.publish(jobRunRetryEvent(run, previous, next, this.ctx));
    this.transition(run.jobRunId, 'SUBMITTED', '');
    this.scheduleStartup(run);
  }

  private cancelJobRun(input: CancelJobRunRequest) {
    const run = this.run(input.applicationId, input.jobRunId);
    if (TERMINAL_STATES.has(run.state)) {
      throw this.ctx.err(ValidationException, 400, `Job run ${run.jobRunId} is in a terminal state (${run.state}) and cannot be cancelled.`);
    }
    const problem = validateCancelGrace(input.shutdownGracePeriodInSeconds);
    if (problem) throw this.ctx.err(ValidationException, 400, problem);
    if (run.state !== 'CANCELLING') {
      this.cancelRun(run.jobRunId, 'Job run cancelled by user.', cancelGraceMs(run, input.shutdownGracePeriodInSeconds) + this.timings.cancelAfterMs);
    }
    return { applicationId: run.applicationId, jobRunId: run.jobRunId };
  }

  private transition(jobRunId: string, state: JobRunState, stateDetails: string): void {
    const run = this.runs.get(jobRunId);
    if (!run || TERMINAL_STATES.has(run.state) || run.state === state) return;
    const previous = run.state;
    const now = new Date(this.ctx.clock.now());
    const m = this.meta.get(jobRunId)!;
    const current = m.attempts[m.attempts.length - 1]!;
    run.state = state;
    run.stateDetails = stateDetails;
    run.updatedAt = now;
    run.attemptUpdatedAt = now;
    if (current.state !== 'FAILED') Object.assign(current, { state, stateDetails, updatedAt: now });
    if (state === 'RUNNING') run.startedAt ??= now;
    if (TERMINAL_STATES.has(state)) {
      run.endedAt = now;
      current.endedAt ??= now;
      run.totalExecutionDurationSeconds = Math.round((now.getTime() - (run.startedAt ?? run.createdAt).getTime()) / 1000);
    }
    m.gen++;
    this.changed(run, previous);
    if (HOLDS_SLOT.has(previous) && !HOLDS_SLOT.has(state)) this.dequeue(run.applicationId);
  }

  /** A slot freed: the oldest QUEUED run of the application goes on. */
  private dequeue(applicationId: string): void {
    const next = this.allRuns()
      .filter((r) => r.applicationId === applicationId && r.state === 'QUEUED')
      .sort((a, b) => (a.attemptCreatedAt ?? a.createdAt).getTime() - (b.attemptCreatedAt ?? b.createdAt).getTime())[0];
    if (next && !this.applicationFull(next)) this.pendingToRunning(next);
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
