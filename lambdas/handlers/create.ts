import { SchedulerAdapter } from '../adapters/scheduler';
import { selectAwsAdapters, type AdapterClasses } from '../adapters/select';
import { SsmAdapter } from '../adapters/ssm';
import { CloudWatchAdapter } from '../adapters/cloudwatch';
import { S3Adapter } from '../adapters/s3';
import { Engine } from '../engine/engine';
import type { InvocationContext, PlaybookHandler, RuntimeDeps } from '../engine/runtime';
import { createEscalatorFromOptions } from '../escalation';
import { handleDeadLetters, type SqsEvent } from '../escalation/dead-letters';
import { Guardrails, ItemGuardrailStore, PauseReader } from '../guardrails';
import { dynamoLedger } from '../engine/dynamo-ledger';
import type { Playbook } from '../core/playbook';
import { checkOwnSettings } from './settings';

/**
 * The adapters the engine itself uses in every playbook function: pause switches, follow-up
 * schedules, the alarms read after CloudWatch held their actions (engine/suppression.ts) or after a
 * pause (engine/resume.ts), and the post-incident reports (engine/report-writer.ts).
 */
export const ENGINE_ADAPTERS = { ssm: SsmAdapter, scheduler: SchedulerAdapter, cloudwatch: CloudWatchAdapter, s3: S3Adapter } as const satisfies AdapterClasses;

/**
 * Builds a playbook's handler from its runtime. Lambda entries (written at synth by lib/entries.ts) and the
 * drills both call this: they differ only in `deps` (real AWS vs the simulated platform).
 * Both get the same adapters: the engine's and those the playbook names, no other.
 */
export function createHandler(playbook: Playbook, deps: RuntimeDeps): PlaybookHandler {
  // The playbook's own settings, validated by its manifest (the whole config was at synth).
  checkOwnSettings(deps.config, playbook.manifest);
  const aws = selectAwsAdapters(deps.aws, { ...ENGINE_ADAPTERS, ...playbook.adapters }, playbook.manifest.id);
  const retention = deps.config.ledger?.auditRetentionDays;
  const ledger = deps.ledger ?? dynamoLedger(deps.aws, deps.env.tableName, retention !== undefined ? { auditRetentionDays: retention } : {});
  // Built now, like the ledger's client: every invocation reads the pause switches. The other
  // adapters (and the escalator's clients) are built on first use.
  const pause = new PauseReader(aws.ssm, deps.clock, { global: deps.env.pauseParameter, pipelinePrefix: deps.env.pipelinePauseParameterPrefix });
  const escalator = createEscalatorFromOptions(
    deps.aws,
    {
      topicArn: deps.env.topicArn,
      ...(deps.env.pagerDutySecretId ? { pagerDutySecretId: deps.env.pagerDutySecretId } : {}),
      source: `streamfix/${playbook.manifest.id}`,
    },
    deps.fetch,
    deps.logger,
    { sleep: (ms) => deps.clock.sleep(ms) },
  );
  const engine = new Engine({
    playbook,
    config: deps.config,
    env: deps.env,
    region: deps.aws.region,
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
    ledger,
    guardrails: new Guardrails(new ItemGuardrailStore(ledger.store), pause),
    escalator,
    scheduler: { createOneTimeSchedule: (p) => aws.scheduler.createOneTimeSchedule(p) },
    aws,
  });
  return (event: unknown, context?: InvocationContext, signal?: AbortSignal) => engine.handle(event, context, signal);
}

/** The dead-letter function's handler: records and pages every event that never got through. */
export function createDeadLetterHandler(deps: Omit<RuntimeDeps, 'metrics'>): (event: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const retention = deps.config.ledger?.auditRetentionDays;
  const ledger = dynamoLedger(deps.aws, deps.env.tableName, retention !== undefined ? { auditRetentionDays: retention } : {});
  const escalator = createEscalatorFromOptions(
    deps.aws,
    { topicArn: deps.env.topicArn, ...(deps.env.pagerDutySecretId ? { pagerDutySecretId: deps.env.pagerDutySecretId } : {}), source: 'streamfix/dead-letters' },
    deps.fetch,
    deps.logger,
    { sleep: (ms) => deps.clock.sleep(ms) },
  );
  return (event) => handleDeadLetters(event as SqsEvent, { config: deps.config, ledger, escalator, clock: deps.clock });
}
