import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { alarmRulePattern, type PlaybookWiring } from '../lambdas/wiring';
import { SWEEP_MARKER } from '../lambdas/core/events';
import { pauseParameterNames } from '../lambdas/core/names';
import { pauseChangePattern } from '../lambdas/core/events/operator';
import type { EventRuleSpec } from '../lambdas/core/playbook';

/** The scheduled sweep's input (lambdas/core/events parses it as a sweep trigger). */
export const SWEEP_PAYLOAD = { streamfix: SWEEP_MARKER } as const;

/** EventBridge rule names are at most 64 characters. */
const MAX_RULE_NAME = 64;

/** How many times EventBridge retries delivering an event to a playbook, and for how long. */
export const RULE_TARGET_RETRY_ATTEMPTS = 4;
export const RULE_TARGET_MAX_EVENT_AGE = Duration.hours(2);

/** The wired name when EventBridge accepts it; otherwise CloudFormation generates one. */
export const ruleNameOrGenerated = (name: string): string | undefined => (name.length <= MAX_RULE_NAME && /^[.\-_A-Za-z0-9]+$/.test(name) ? name : undefined);

/** A manifest pattern (EventBridge's own JSON keys) as the CDK's EventPattern. */
export function toEventPattern(pattern: EventRuleSpec['pattern']): events.EventPattern {
  return {
    source: pattern.source,
    detailType: pattern['detail-type'],
    ...(pattern.detail !== undefined ? { detail: pattern.detail } : {}),
  };
}

export interface PlaybookRulesProps {
  readonly prefix: string;
  readonly wiring: PlaybookWiring;
  readonly function: lambda.IFunction;
  /** Keeps events EventBridge could not deliver after every retry. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * The rules that start a playbook: one for its alarms' state changes (stack alarms and
 * config `routes`), one per event rule of its manifest and pipeline. The Lambda target adds
 * the permission for each rule to invoke the function.
 */
export function playbookRules(scope: Construct, props: PlaybookRulesProps): events.Rule[] {
  const target = () =>
    new targets.LambdaFunction(props.function, {
      retryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
      maxEventAge: RULE_TARGET_MAX_EVENT_AGE,
      deadLetterQueue: props.deadLetterQueue,
    });
  const { wiring } = props;
  const rules: events.Rule[] = [];
  if (wiring.alarmNames.length > 0) {
    const name = `${props.prefix}-${wiring.playbook}-alarms`;
    rules.push(
      new events.Rule(scope, 'AlarmRule', {
        ruleName: ruleNameOrGenerated(name),
        description: `${name}: state changes of the alarms that start ${wiring.playbook}`,
        eventPattern: toEventPattern(alarmRulePattern(wiring.alarmNames)),
        targets: [target()],
      }),
    );
  }
  for (const wired of wiring.rules) {
    rules.push(
      new events.Rule(scope, `Rule-${wired.spec.id}${wired.name.endsWith(`-${wired.pipelines[0]}`) ? `-${wired.pipelines[0]}` : ''}`, {
        ruleName: ruleNameOrGenerated(wired.name),
        description: `${wired.name}: ${wired.spec.description}`.slice(0, 512),
        eventPattern: toEventPattern(wired.spec.pattern),
        targets: [target()],
      }),
    );
  }
  return rules;
}

/**
 * The sweep: every 5 minutes the playbook's function looks for its incidents stuck past their
 * deadline (a lost follow-up, a worker that died after Lambda's last retry) and takes each up
 * once (lambdas/core/sweep.ts).
 */
export function sweepRule(scope: Construct, props: PlaybookRulesProps): events.Rule {
  const name = `${props.prefix}-${props.wiring.playbook}-sweep`;
  return new events.Rule(scope, 'SweepRule', {
    ruleName: ruleNameOrGenerated(name),
    description: `${name}: every 5 minutes, ${props.wiring.playbook} looks for its incidents stuck past their deadline`,
    schedule: events.Schedule.rate(Duration.minutes(5)),
    targets: [
      new targets.LambdaFunction(props.function, {
        event: events.RuleTargetInput.fromObject(SWEEP_PAYLOAD),
        retryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
        maxEventAge: Duration.minutes(5),
        deadLetterQueue: props.deadLetterQueue,
      }),
    ],
  });
}

/**
 * A lifted pause re-evaluates what it held: the "Parameter Store Change" events of the pause
 * parameters this playbook reads (the global one and its pipelines') start its function, which
 * re-evaluates its alarms still in ALARM (lambdas/engine/resume.ts). Systems Manager sends them
 * on a best effort basis; `streamfix resume` does the same explicitly.
 */
export function resumeRule(scope: Construct, props: PlaybookRulesProps): events.Rule {
  const name = `${props.prefix}-${props.wiring.playbook}-resume`;
  return new events.Rule(scope, 'ResumeRule', {
    ruleName: ruleNameOrGenerated(name),
    description: `${name}: a change of a pause parameter makes ${props.wiring.playbook} re-evaluate what the pause held`,
    eventPattern: toEventPattern(pauseChangePattern(pauseParameterNames(props.prefix, props.wiring.pipelines))),
    targets: [
      new targets.LambdaFunction(props.function, {
        retryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
        maxEventAge: RULE_TARGET_MAX_EVENT_AGE,
        deadLetterQueue: props.deadLetterQueue,
      }),
    ],
  });
}
