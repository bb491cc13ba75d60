import { createAwsAdapters } from '../adapters';
import { Engine } from '../core/engine';
import type { InvocationContext, PlaybookHandler, RuntimeDeps } from '../core/runtime';
import { createEscalatorFromOptions } from '../escalation';
import { Guardrails, PauseReader } from '../guardrails';
import { Ledger } from '../ledger/ledger';
import type { Playbook } from '../playbooks/types';

/**
 * Builds a playbook's handler from its runtime. Lambda entries (handlers/<id>.ts) and the
 * drills both call this: they differ only in `deps` (real AWS vs the simulated platform).
 */
export function createHandler(playbook: Playbook, deps: RuntimeDeps): PlaybookHandler {
  const aws = createAwsAdapters(deps.aws);
  const ledger = Ledger.fromOptions(deps.aws, deps.env.tableName);
  const pause = new PauseReader(aws.ssm, deps.clock, { global: deps.env.pauseParameter, pipelinePrefix: deps.env.pipelinePauseParameterPrefix });
  const escalator = createEscalatorFromOptions(
    deps.aws,
    { topicArn: deps.env.topicArn, ...(deps.env.pagerDutySecretId ? { pagerDutySecretId: deps.env.pagerDutySecretId } : {}), source: `streamfix/${playbook.manifest.id}` },
    deps.fetch,
    deps.logger,
    { sleep: (ms) => deps.clock.sleep(ms) },
  );
  const engine = new Engine({
    playbook, config: deps.config, env: deps.env, region: deps.aws.region, clock: deps.clock, logger: deps.logger, metrics: deps.metrics,
    ledger, guardrails: new Guardrails(ledger, pause), escalator, scheduler: aws.scheduler, aws,
  });
  return (event: unknown, context?: InvocationContext, signal?: AbortSignal) => engine.handle(event, context, signal);
}
