import type { z } from 'zod';
import type { JobKind, PipelineConfig, StreamfixConfig } from '../config/schema';
import type { Mode } from '../config/mode';
import type { Clock } from './clock';
import type { Decision, Evidence } from './decision';
import type { JobRunTrigger, Trigger } from './trigger';

/**
 * The playbook contract: what a playbook folder provides (manifest, diagnose, plan, verify,
 * actions) and what the engine gives it (PlaybookContext). The engine, the guardrails and the
 * ledger depend on this file, never on a playbook.
 */

/**
 * The service adapters a playbook's code reaches through `ctx.aws`, by name (`PlaybookAdapters`),
 * and the adapter classes its function bundles (`PlaybookAdapterClasses`). The contract names no
 * adapter: both are declared empty here and filled in by adapters/select.ts through declaration
 * merging (`declare module '../core/playbook'`), so this floor imports nothing from adapters/
 * while `ctx.aws.s3` is the S3 adapter wherever the program includes the adapters (it always does:
 * tsconfig includes lambdas/).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by adapters/select.ts (declaration merging)
export interface PlaybookAdapters {}
// biome-ignore lint/suspicious/noEmptyInterface: filled in by adapters/select.ts (declaration merging)
export interface PlaybookAdapterClasses {}

/** Settings every playbook has; each defaults to the playbook's manifest value. */
export interface CommonSettingsDefaults {
  mode: Mode;
  cooldownSeconds: number;
  maxActionsPerHour: number;
  verifyAfterSeconds: number;
  verifyDeadlineSeconds: number;
  /** The same alarm firing again within this many seconds after a fix opens the breaker. */
  breakerWindowSeconds: number;
  /** Failed verifications in a row that open the breaker. */
  breakerMaxVerifyFailures: number;
  /** How long an open breaker stays open unless an operator resets it. */
  breakerOpenSeconds: number;
  maxRechecks: number;
  /** Mode `approve`: how long a request for approval stays open (default 30 minutes). */
  approvalTimeoutSeconds?: number;
}

export type CommonSettings = CommonSettingsDefaults;

/** Where a manifest's names and ARNs are built: CDK passes tokens, tests pass strings. */
export interface PipelineContext<S = PlaybookSettings, P extends PipelineConfig = PipelineConfig> {
  name: string;
  pipeline: P;
  settings: S;
  account: string;
  region: string;
  partition: string;
  /** Prefix of every resource streamfix creates (config.name). */
  prefix: string;
}

export type Statistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';

export interface AlarmSpec {
  /** Short id, unique within the playbook; part of the alarm name. */
  signal: string;
  description: string;
  metric: {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    statistic: Statistic;
    periodSeconds: number;
    /**
     * Alarm on a metric math function of the metric instead of the metric itself: `RATE` (change
     * per second between consecutive datapoints) or `DIFF` (the change), as CloudWatch's metric
     * math defines them: for counters that only grow (Flink's `numberOfFailedCheckpoints`).
     */
    math?: 'RATE' | 'DIFF';
  };
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
  /**
   * Whether this alarm returning to OK means the problem is gone (default true). A "failures
   * in the last minute" alarm goes OK a minute later whatever happened: false.
   */
  okMeansRecovered?: boolean;
}

export interface EventRuleSpec {
  /** Short id, unique within the playbook. */
  id: string;
  description: string;
  pattern: { source: string[]; 'detail-type': string[]; detail?: Record<string, unknown> };
}

/** An IAM condition block: `{ StringLike: { 's3:prefix': ['a/*', 'b/*'] } }`. */
export type IamConditions = Record<string, Record<string, string | string[]>>;

/** IAM a playbook step needs. The CDK role holds exactly the union of these. */
export interface PermissionSpec {
  step: 'diagnose' | 'act' | 'verify';
  actions: string[];
  resources: string[];
  why: string;
  /** Narrows the grant (s3:ListBucket to prefixes, iam:PassRole to one service). */
  conditions?: IamConditions;
}

export interface PlaybookManifest<S extends PlaybookSettings = PlaybookSettings> {
  id: string;
  title: string;
  summary: string;
  /** Schema of `pipelines.<name>.playbooks.<id>`, with every default. */
  settings: z.ZodType<S, unknown>;
  appliesTo(pipeline: PipelineConfig): boolean;
  alarms(p: PipelineContext<S>): AlarmSpec[];
  eventRules(p: PipelineContext<S>): EventRuleSpec[];
  permissions(p: PipelineContext<S>): PermissionSpec[];
}

export interface PlaybookSettings extends CommonSettings {
  mode: Mode;
  bounds: Record<string, unknown>;
}

/**
 * What a playbook step gets. `P` narrows the pipeline for code written for one job runtime
 * (`PlaybookContext<S, EmrPipeline>`); a playbook's entry points take any pipeline and hand each
 * runtime's code its own kind (runtimes/job-runtime.ts).
 */
export interface PlaybookContext<S = PlaybookSettings, P extends PipelineConfig = PipelineConfig> {
  pipelineName: string;
  pipeline: P;
  settings: S;
  config: StreamfixConfig;
  clock: Clock;
  aws: PlaybookAdapters;
  incidentId: string;
  signal: AbortSignal;
  /** Milliseconds left before the function must stop (Infinity outside Lambda). */
  remainingMs?(): number;
  /** Read-only view of the guardrails' history (e.g. restarts already made this hour). */
  history: { actionsInLastHour(resource: string): Promise<number> };
}

export interface PlanInput<S, E, P extends PipelineConfig = PipelineConfig> {
  pipelineName: string;
  pipeline: P;
  settings: S;
  trigger: Trigger;
  evidence: E;
  nowMs: number;
  incidentId: string;
}

export interface VerifyOutcome {
  /** recovered: fixed; pending: not yet, look again; failed: will not recover by waiting. */
  status: 'recovered' | 'pending' | 'failed';
  summary: string;
  evidence: Evidence;
}

export interface ActionOutcome {
  summary: string;
  before: Evidence;
  after: Evidence;
}

export interface ActionContext<S = PlaybookSettings, P extends PipelineConfig = PipelineConfig> extends PlaybookContext<S, P> {
  /** Ledger id of this action: stable across a resume. */
  actionId: string;
}

export interface ActionDefinition<P = Record<string, unknown>, S = PlaybookSettings> {
  type: string;
  /**
   * The job runtime whose jobs the action changes (absent: it changes no job, or any). A playbook
   * serving both runtimes carries the actions of each; its manifest grants each action's IAM on
   * the pipelines of that runtime only, and `checkBounds` refuses a pipeline of another.
   */
  runtime?: JobKind;
  /** IAM actions `execute` calls. A registry test checks the manifest's `act` permissions cover them. */
  iamActions: string[];
  params: z.ZodType<P, unknown>;
  /** Pure: every bound the actual parameters break, as sentences naming the parameter. */
  checkBounds(params: P, p: { pipeline: PipelineConfig; settings: S }): string[];
  /** Must be idempotent: executing the same params twice has one effect (e.g. a clientToken). */
  execute(params: P, ctx: ActionContext<S>): Promise<ActionOutcome>;
}

// biome-ignore lint/suspicious/noExplicitAny: a playbook of any settings and evidence type fits the registry
export interface Playbook<S extends PlaybookSettings = any, E = any> {
  manifest: PlaybookManifest<S>;
  /**
   * The service adapters its code uses through `ctx.aws`: its function bundles these and no
   * other (the engine adds SSM and Scheduler); any other one throws AdapterNotBundledError.
   * A test checks them against the services the manifest's permissions name.
   */
  adapters: PlaybookAdapterClasses;
  /** Pipelines a native job-run event belongs to (alarms route by name). */
  routeJobRun?(t: JobRunTrigger, config: StreamfixConfig): string[];
  // Properties, not methods: their parameters are checked strictly, so code written for one job
  // runtime (a context narrowed to EmrPipeline) cannot stand for a step that gets any pipeline.
  /** Read-only; calls run in parallel. */
  diagnose: (ctx: PlaybookContext<S>, trigger: Trigger) => Promise<E>;
  /** Pure: evidence + settings + now → Decision. */
  plan: (input: PlanInput<S, E>) => Decision;
  verify: (ctx: PlaybookContext<S>, incident: { startedAtMs: number; fixedAtMs?: number; evidence: Evidence }) => Promise<VerifyOutcome>;
  // biome-ignore lint/suspicious/noExplicitAny: a playbook of any settings and evidence type fits the registry
  actions: readonly ActionDefinition<any, S>[];
}
