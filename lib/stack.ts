import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import type { StreamfixConfig } from '../lambdas/config/schema';
import type { RuntimeEnv } from '../lambdas/core/env';
import { functionName, pauseParameterName, pipelinePauseParameterPrefix } from '../lambdas/core/names';
import { buildOperationWiring, buildWiring, type Env, type OperationWiring, type PlaybookWiring } from '../lambdas/wiring';
import { LEDGER_TABLE } from '../lambdas/ledger/table';
import { addInvokePolicy, placeInVpc, replayVpc } from './access';
import { sharedDlqMetricError } from '../lambdas/playbooks/dlq-spike/manifest';
import { deadLetterAlarm, playbookAlarm } from './alarms';
import { Escalation } from './escalation';
import { writeEntry, type EntryKind } from './entries';
import { acknowledge } from './nag';
import { PlaybookFunction, StreamfixFunction, type LogLevel } from './playbook-function';
import { deadLetterFunctionPermissions, operationPermissions } from './permissions';
import { resumeRule, playbookRules, sweepRule } from './rules';
import { pipelineDashboard } from './dashboard';
import { runbookUrl } from '../lambdas/config/operator';

/** The directory holding package.json: NodejsFunction bundles from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The dead-letter function's timeout (seconds); the queue's visibility timeout is six times it. */
export const DEAD_LETTER_TIMEOUT_S = 60;

/** CloudWatch namespace of streamfix's own metrics (Powertools). */
export const METRICS_NAMESPACE = 'streamfix';

/**
 * Where a function's Lambda entry lives: for a playbook or an operation, one small middy handler
 * written at synth from its registry id (lib/entries.ts); the dead-letter function's is its own file.
 */
export const defaultEntry = (id: string, kind: EntryKind | 'dead-letters'): string =>
  kind === 'dead-letters' ? join(PROJECT_ROOT, 'lambdas', 'handlers', 'dead-letters.ts') : writeEntry(PROJECT_ROOT, id, kind);

export interface StreamfixStackProps extends StackProps {
  /** The validated config (parseConfig / defineConfig). */
  readonly config: StreamfixConfig;
  /** @default defaultEntry: written at synth under .streamfix/entries/<id>.ts */
  readonly entryFor?: (id: string, kind: EntryKind | 'dead-letters') => string;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
}

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

/**
 * The whole of streamfix in one stack, generated from the config and the playbook manifests
 * through `buildWiring` (the same wiring the router and the drills read).
 */
export class StreamfixStack extends Stack {
  readonly wiring: PlaybookWiring[];
  readonly table: dynamodb.Table;
  readonly escalation: Escalation;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedulerRole: iam.Role;
  readonly pauseParameters: { global: ssm.StringParameter; pipelines: Record<string, ssm.StringParameter> };
  /** By playbook id. */
  readonly functions: Record<string, PlaybookFunction> = {};
  readonly operationWiring: OperationWiring[];
  /** Records and pages what reaches the dead-letter queue. */
  readonly deadLetterFunction: StreamfixFunction;
  /** Manual operations (checkpoint-ops, dlq-replay), by id. */
  readonly operationFunctions: Record<string, StreamfixFunction> = {};
  /** By alarm name. */
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** One per pipeline, by pipeline name. */
  readonly dashboards: Record<string, cloudwatch.Dashboard> = {};

  constructor(scope: Construct, id: string, props: StreamfixStackProps) {
    super(scope, id, { description: 'streamfix: alert-driven auto-remediation for streaming data platforms', ...props });
    const { config } = props;
    const prefix = config.name;
    const env: Env = { account: Aws.ACCOUNT_ID, region: Aws.REGION, partition: Aws.PARTITION };
    // Each pipeline's DLQ alarm needs its own metric: two on one would fire for each other.
    const sharedDlq = sharedDlqMetricError(config);
    if (sharedDlq) throw new Error(`invalid streamfix config: ${sharedDlq}`);
    this.wiring = buildWiring(config, env);
    this.operationWiring = buildOperationWiring(config);

    this.table = new dynamodb.Table(this, 'Ledger', {
      tableName: `${prefix}-ledger`,
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The ledger is the audit trail of every decision: it outlives the stack, and cannot be
      // deleted while protection is on (DeleteTable is refused; DynamoDB Developer Guide).
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LEDGER_TABLE.gsi1.name,
      partitionKey: { name: LEDGER_TABLE.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${prefix}-dead-letters`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // At least the dead-letter function's timeout, so a message it is handling is not received twice.
      visibilityTimeout: Duration.seconds(6 * DEAD_LETTER_TIMEOUT_S),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the playbook functions (on-failure destination) and of their ' +
        'EventBridge targets; a message here is kept for 14 days and raises the dead-letter alarm, so a further ' +
        'dead-letter queue would only move the same messages.',
    );

    const deadLetterAlarmName = `${prefix}-dead-letters`;
    this.escalation = new Escalation(this, 'Escalation', {
      prefix,
      emails: config.escalation.emails,
      ...(config.escalation.pagerDuty ? { pagerDutySecretName: config.escalation.pagerDuty.secretName } : {}),
      alarmNames: [deadLetterAlarmName],
    });
    this.alarms[deadLetterAlarmName] = deadLetterAlarm(this, 'DeadLetterAlarm', {
      alarmName: deadLetterAlarmName,
      queue: this.deadLetterQueue,
      topic: this.escalation.topic,
    });

    const scheduleGroup = new scheduler.CfnScheduleGroup(this, 'ScheduleGroup', { name: prefix });
    const functionArns = this.wiring.map((w) => `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${functionName(prefix, w.playbook)}`);
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to run the follow-up invocations of streamfix playbooks',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      inlinePolicies: {
        invoke: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }),
            // A follow-up the Scheduler could not deliver goes to the dead-letter queue (EventBridge
            // Scheduler guide, "Configuring a schedule's dead-letter queue": the execution role needs
            // sqs:SendMessage on it).
            new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
          ],
        }),
      },
    });

    const pauseDescription = 'streamfix pause switch: "off", or the reason the playbooks are paused';
    this.pauseParameters = {
      global: new ssm.StringParameter(this, 'Pause', {
        parameterName: pauseParameterName(prefix),
        stringValue: 'off',
        description: `${pauseDescription} (every pipeline)`,
      }),
      pipelines: {},
    };
    for (const pipeline of Object.keys(config.pipelines)) {
      this.pauseParameters.pipelines[pipeline] = new ssm.StringParameter(this, `Pause-${pipeline}`, {
        parameterName: `${pipelinePauseParameterPrefix(prefix)}${pipeline}`,
        stringValue: 'off',
        description: `${pauseDescription} (pipeline ${pipeline})`,
      });
    }

    const runtimeEnv: RuntimeEnv = {
      tableName: this.table.tableName,
      topicArn: this.escalation.topic.topicArn,
      ...(config.escalation.pagerDuty ? { pagerDutySecretId: config.escalation.pagerDuty.secretName } : {}),
      schedulerGroup: prefix,
      schedulerRoleArn: this.schedulerRole.roleArn,
      pauseParameter: pauseParameterName(prefix),
      pipelinePauseParameterPrefix: pipelinePauseParameterPrefix(prefix),
      metricsNamespace: METRICS_NAMESPACE,
      deadLetterQueueArn: this.deadLetterQueue.queueArn,
    };
    // ARNs from names and the stack's pseudo parameters, never the synth machine's region or
    // account (the constructs' own `parameterArn` / `secretArn` format them with the stack's env).
    const parameterArn = (name: string) => `arn:${env.partition}:ssm:${env.region}:${env.account}:parameter${name}`;
    const pipelinePauseParameterArns = Object.fromEntries(
      Object.keys(this.pauseParameters.pipelines).map((p) => [p, parameterArn(`${pipelinePauseParameterPrefix(prefix)}${p}`)]),
    );
    const entryFor = props.entryFor ?? defaultEntry;

    for (const w of this.wiring) {
      const pf = new PlaybookFunction(this, `Playbook-${w.playbook}`, {
        config,
        wiring: w,
        env,
        entry: entryFor(w.playbook, 'playbook'),
        projectRoot: PROJECT_ROOT,
        runtimeEnv,
        permissionContext: {
          prefix,
          ...env,
          tableArn: this.table.tableArn,
          topicArn: this.escalation.topic.topicArn,
          topicKeyArn: this.escalation.key.keyArn,
          ...(config.escalation.pagerDuty
            ? { pagerDutySecretArn: `arn:${env.partition}:secretsmanager:${env.region}:${env.account}:secret:${config.escalation.pagerDuty.secretName}` }
            : {}),
          schedulerGroup: prefix,
          schedulerRoleArn: this.schedulerRole.roleArn,
          pauseParameterArn: parameterArn(pauseParameterName(prefix)),
          pipelinePauseParameterArns,
          ...(config.reports ? { reportObjectsArn: reportObjectsArn(config.reports.s3, env.partition) } : {}),
        },
        deadLetterQueue: this.deadLetterQueue,
        ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
        ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
      });
      // The function creates schedules in the group from its first invocation on.
      pf.function.node.addDependency(scheduleGroup);
      this.functions[w.playbook] = pf;

      for (const a of w.alarms)
        this.alarms[a.name] = playbookAlarm(pf, `Alarm-${a.pipeline}-${a.spec.signal}`, a, runbookUrl(config.runbookBaseUrl, w.playbook));
      playbookRules(pf, { prefix, wiring: w, function: pf.function, deadLetterQueue: this.deadLetterQueue });
      sweepRule(pf, { prefix, wiring: w, function: pf.function, deadLetterQueue: this.deadLetterQueue });
      resumeRule(pf, { prefix, wiring: w, function: pf.function, deadLetterQueue: this.deadLetterQueue });

      new CfnOutput(this, `FunctionName${pascal(w.playbook)}`, {
        value: pf.function.functionName,
        description: `Lambda function of the ${w.playbook} playbook (manual invocations: aws lambda invoke)`,
      });
    }

    for (const pipeline of Object.keys(config.pipelines)) {
      this.dashboards[pipeline] = pipelineDashboard(this, `Dashboard-${pipeline}`, {
        config,
        pipeline,
        wiring: this.wiring,
        alarms: this.alarms,
        metricsNamespace: METRICS_NAMESPACE,
      });
    }

    // Every event that never got through is recorded and paged, with its incident.
    this.deadLetterFunction = new StreamfixFunction(this, 'DeadLetterFunction', {
      config,
      id: 'dead-letters',
      description: 'streamfix dead letters: records and pages every event that used up its retries or could not be delivered',
      entry: entryFor('dead-letters', 'dead-letters'),
      projectRoot: PROJECT_ROOT,
      runtimeEnv,
      permissions: ({ logGroupArn }) =>
        deadLetterFunctionPermissions({
          tableArn: this.table.tableArn,
          topicArn: this.escalation.topic.topicArn,
          topicKeyArn: this.escalation.key.keyArn,
          ...(config.escalation.pagerDuty
            ? { pagerDutySecretArn: `arn:${env.partition}:secretsmanager:${env.region}:${env.account}:secret:${config.escalation.pagerDuty.secretName}` }
            : {}),
          queueArn: this.deadLetterQueue.queueArn,
          logGroupArn,
          partition: env.partition,
        }),
      roleDescription: 'streamfix dead letters: read the dead-letter queue, record in the ledger, page',
      timeout: Duration.seconds(DEAD_LETTER_TIMEOUT_S),
      memorySize: 256,
    });
    this.deadLetterFunction.function.addEventSource(new SqsEventSource(this.deadLetterQueue, { batchSize: 10, reportBatchItemFailures: true }));

    for (const w of this.operationWiring) {
      // dlq-replay reaches MSK brokers from inside the clusters' VPC (synth fails without it).
      const vpc = w.operation === 'dlq-replay' ? replayVpc(config, w) : undefined;
      const of = new StreamfixFunction(this, `Operation-${w.operation}`, {
        config,
        id: w.operation,
        description: `streamfix operation ${w.operation}: ${w.manifest.title}`,
        entry: entryFor(w.operation, 'operation'),
        projectRoot: PROJECT_ROOT,
        runtimeEnv,
        permissions: ({ logGroupArn }) => operationPermissions(config, w, env, { tableArn: this.table.tableArn, logGroupArn, ...(vpc ? { vpc } : {}) }),
        roleDescription: `streamfix ${w.operation}: manifest and ledger permissions for ${w.pipelines.join(', ')}`,
        timeout: Duration.seconds(w.manifest.timeoutSeconds),
        memorySize: w.manifest.memoryMb,
        ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
        ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
      });
      this.operationFunctions[w.operation] = of;
      if (vpc) placeInVpc(of.function, vpc);
      // Only the configured invokers and the account's administrators may run it.
      addInvokePolicy(of, 'InvokePolicy', of.function, config.operations, env);
      new CfnOutput(this, `OperationFunctionName${pascal(w.operation)}`, {
        value: of.function.functionName,
        description: `Lambda function of the ${w.operation} operation (invoke by hand: streamfix CLI or aws lambda invoke)`,
      });
    }

    new CfnOutput(this, 'LedgerTableName', { value: this.table.tableName, description: 'DynamoDB ledger of incidents, decisions and actions' });
    new CfnOutput(this, 'EscalationTopicArn', { value: this.escalation.topic.topicArn, description: 'SNS topic streamfix escalates to' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl, description: 'Events and invocations that failed every retry' });
  }
}

/** The objects under `s3://bucket/prefix/`, as an IAM resource. */
export function reportObjectsArn(uri: string, partition: string): string {
  const rest = uri.slice('s3://'.length);
  return `arn:${partition}:s3:::${rest}*`;
}
