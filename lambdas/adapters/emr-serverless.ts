import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetJobRunCommand,
  ListJobRunAttemptsCommand,
  ListJobRunsCommand,
  StartJobRunCommand,
  type ConfigurationOverrides,
  type JobDriver,
  type JobRunExecutionIamPolicy,
  type JobRunMode,
  type JobRunState,
  type NetworkConfiguration,
  type RetryPolicy,
  type StartJobRunCommandInput,
} from '@aws-sdk/client-emr-serverless';
import { AwsRequestError } from '../core/errors';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

export type { ConfigurationOverrides, JobDriver, JobRunExecutionIamPolicy, NetworkConfiguration, RetryPolicy };

const SERVICE = 'emr-serverless';
/** ListJobRuns accepts at most 50 results per page. */
const MAX_PAGE_SIZE = 50;
const DEFAULT_MAX_ITEMS = 200;

/** A job run as GetJobRun describes it, with the API's `executionRole` named for what StartJobRun wants. */
export interface JobRunView {
  applicationId: string;
  jobRunId: string;
  arn?: string;
  name?: string;
  state: string;
  stateDetails?: string;
  mode?: string;
  createdAtMs: number;
  updatedAtMs: number;
  createdBy?: string;
  executionRoleArn: string;
  /** The run's session policy: its permissions are the role's intersected with it. */
  executionIamPolicy?: JobRunExecutionIamPolicy;
  releaseLabel?: string;
  jobDriver: JobDriver;
  configurationOverrides?: ConfigurationOverrides;
  retryPolicy?: RetryPolicy;
  tags?: Record<string, string>;
  executionTimeoutMinutes?: number;
  /** The attempt this view describes (the latest unless one was asked for). */
  attempt?: number;
  attemptCreatedAtMs?: number;
  attemptUpdatedAtMs?: number;
  endedAtMs?: number;
  networkConfiguration?: NetworkConfiguration;
}

/** One attempt of a job run (ListJobRunAttempts). */
export interface JobRunAttemptView {
  attempt: number;
  state: string;
  stateDetails?: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface JobRunSummaryView {
  applicationId: string;
  jobRunId: string;
  name?: string;
  state: string;
  stateDetails?: string;
  mode?: string;
  createdAtMs: number;
  updatedAtMs: number;
  executionRoleArn: string;
}

export interface ListJobRunsOptions {
  states?: string[];
  createdAfterMs?: number;
  mode?: 'BATCH' | 'STREAMING';
  /** Total across pages (default 200). */
  maxItems?: number;
}

export interface StartJobRunParams {
  applicationId: string;
  /** Idempotency token: StartJobRun with a token already used returns the run it started. */
  clientToken: string;
  executionRoleArn: string;
  name?: string;
  jobDriver: JobDriver;
  configurationOverrides?: ConfigurationOverrides;
  mode?: string;
  retryPolicy?: RetryPolicy;
  tags?: Record<string, string>;
  executionTimeoutMinutes?: number;
  executionIamPolicy?: JobRunExecutionIamPolicy;
}

/** A reply without a field the API documents as always present: nothing sensible can be built on it. */
function malformed(operation: string, field: string): AwsRequestError {
  return new AwsRequestError(SERVICE, operation, 'MalformedResponse', {
    cause: new Error(`reply has no ${field}`),
  });
}

function need<T>(value: T | undefined, operation: string, field: string): T {
  if (value === undefined || value === null) throw malformed(operation, field);
  return value;
}

/** Copies only the keys whose value is defined, so a view never carries `key: undefined`. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export class EmrServerlessAdapter {
  constructor(private readonly client: EMRServerlessClient) {}

  static fromOptions(opts: AwsClientOptions): EmrServerlessAdapter {
    return new EmrServerlessAdapter(withPlugins(new EMRServerlessClient(clientConfig(opts)), opts));
  }

  /** The application's state, release and name (GetApplication; `streamfix validate --live`). */
  async getApplication(applicationId: string): Promise<{ applicationId: string; state: string; releaseLabel?: string; name?: string }> {
    let reply;
    try {
      reply = await this.client.send(new GetApplicationCommand({ applicationId }));
    } catch (e) {
      mapAwsError('emr-serverless', 'GetApplication', e);
    }
    const a = reply.application;
    if (!a?.state) throw new AwsRequestError('emr-serverless', 'GetApplication', 'IncompleteReply', { cause: new Error('the reply has no application state') });
    return { applicationId, state: a.state, ...(a.releaseLabel ? { releaseLabel: a.releaseLabel } : {}), ...(a.name ? { name: a.name } : {}) };
  }

  /** The run as of its latest attempt, or as of `attempt` (EMR Serverless 7.1.0+ job resiliency). */
  async getJobRun(applicationId: string, jobRunId: string, attempt?: number): Promise<JobRunView> {
    const op = 'GetJobRun';
    let reply;
    try {
      reply = await this.client.send(new GetJobRunCommand(defined({ applicationId, jobRunId, attempt })));
    } catch (e) {
      mapAwsError(SERVICE, op, e);
    }
    const run = need(reply.jobRun, op, 'jobRun');
    return defined<JobRunView>({
      applicationId: run.applicationId ?? applicationId,
      jobRunId: run.jobRunId ?? jobRunId,
      arn: run.arn,
      name: run.name,
      state: need(run.state, op, 'jobRun.state'),
      stateDetails: run.stateDetails,
      mode: run.mode,
      createdAtMs: need(run.createdAt, op, 'jobRun.createdAt').getTime(),
      updatedAtMs: need(run.updatedAt, op, 'jobRun.updatedAt').getTime(),
      createdBy: run.createdBy,
      executionRoleArn: need(run.executionRole, op, 'jobRun.executionRole'),
      executionIamPolicy: run.executionIamPolicy,
      releaseLabel: run.releaseLabel,
      jobDriver: need(run.jobDriver, op, 'jobRun.jobDriver'),
      configurationOverrides: run.configurationOverrides,
      retryPolicy: run.retryPolicy,
      tags: run.tags,
      executionTimeoutMinutes: run.executionTimeoutMinutes,
      attempt: run.attempt,
      attemptCreatedAtMs: run.attemptCreatedAt?.getTime(),
      attemptUpdatedAtMs: run.attemptUpdatedAt?.getTime(),
      endedAtMs: run.endedAt?.getTime(),
      networkConfiguration: run.networkConfiguration,
    });
  }

  /** Every attempt of a run, oldest first (ListJobRunAttempts pages of at most 50). */
  async listJobRunAttempts(applicationId: string, jobRunId: string, maxItems = 50): Promise<JobRunAttemptView[]> {
    const op = 'ListJobRunAttempts';
    const out: JobRunAttemptView[] = [];
    let nextToken: string | undefined;
    do {
      let reply;
      try {
        reply = await this.client.send(
          new ListJobRunAttemptsCommand(defined({ applicationId, jobRunId, nextToken, maxResults: Math.min(MAX_PAGE_SIZE, maxItems - out.length) })),
        );
      } catch (e) {
        mapAwsError(SERVICE, op, e);
      }
      for (const a of reply.jobRunAttempts ?? []) {
        out.push(
          defined<JobRunAttemptView>({
            attempt: need(a.attempt, op, 'jobRunAttempts[].attempt'),
            state: need(a.state, op, 'jobRunAttempts[].state'),
            stateDetails: a.stateDetails,
            createdAtMs: need(a.createdAt, op, 'jobRunAttempts[].createdAt').getTime(),
            updatedAtMs: need(a.updatedAt, op, 'jobRunAttempts[].updatedAt').getTime(),
          }),
        );
      }
      nextToken = reply.nextToken;
    } while (nextToken && out.length < maxItems);
    return out.sort((a, b) => a.attempt - b.attempt);
  }

  /** Newest first, as the API returns them; follows `nextToken` until `maxItems` runs are read. */
  async listJobRuns(applicationId: string, opts: ListJobRunsOptions = {}): Promise<JobRunSummaryView[]> {
    const op = 'ListJobRuns';
    const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
    const runs: JobRunSummaryView[] = [];
    let nextToken: string | undefined;
    while (runs.length < maxItems) {
      let reply;
      try {
        reply = await this.client.send(
          new ListJobRunsCommand(
            defined({
              applicationId,
              nextToken,
              maxResults: Math.min(MAX_PAGE_SIZE, maxItems - runs.length),
              states: opts.states as JobRunState[] | undefined,
              createdAtAfter: opts.createdAfterMs === undefined ? undefined : new Date(opts.createdAfterMs),
              mode: opts.mode as JobRunMode | undefined,
            }),
          ),
        );
      } catch (e) {
        mapAwsError(SERVICE, op, e);
      }
      for (const s of reply.jobRuns ?? []) {
        if (runs.length >= maxItems) break;
        runs.push(
          defined<JobRunSummaryView>({
            applicationId: s.applicationId ?? applicationId,
            jobRunId: need(s.id, op, 'jobRuns[].id'),
            name: s.name,
            state: need(s.state, op, 'jobRuns[].state'),
            stateDetails: s.stateDetails,
            mode: s.mode,
            createdAtMs: need(s.createdAt, op, 'jobRuns[].createdAt').getTime(),
            updatedAtMs: need(s.updatedAt, op, 'jobRuns[].updatedAt').getTime(),
            executionRoleArn: need(s.executionRole, op, 'jobRuns[].executionRole'),
          }),
        );
      }
      nextToken = reply.nextToken;
      if (!nextToken) break;
    }
    return runs;
  }

  /**
   * Builds the request field by field: a JobRunView spread into the params must not leak fields
   * StartJobRun does not take (releaseLabel, networkConfiguration, attempt, ...).
   */
  async startJobRun(p: StartJobRunParams): Promise<{ jobRunId: string; arn?: string }> {
    const op = 'StartJobRun';
    const input: StartJobRunCommandInput = defined({
      applicationId: p.applicationId,
      clientToken: p.clientToken,
      executionRoleArn: p.executionRoleArn,
      executionIamPolicy: p.executionIamPolicy,
      name: p.name,
      jobDriver: p.jobDriver,
      configurationOverrides: p.configurationOverrides,
      mode: p.mode as JobRunMode | undefined,
      retryPolicy: p.retryPolicy,
      tags: p.tags,
      executionTimeoutMinutes: p.executionTimeoutMinutes,
    });
    let reply;
    try {
      reply = await this.client.send(new StartJobRunCommand(input));
    } catch (e) {
      mapAwsError(SERVICE, op, e);
    }
    return defined({ jobRunId: need(reply.jobRunId, op, 'jobRunId'), arn: reply.arn });
  }

  async cancelJobRun(applicationId: string, jobRunId: string, shutdownGracePeriodInSeconds?: number): Promise<void> {
    try {
      await this.client.send(new CancelJobRunCommand(defined({ applicationId, jobRunId, shutdownGracePeriodInSeconds })));
    } catch (e) {
      mapAwsError(SERVICE, 'CancelJobRun', e);
    }
  }
}
