import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { ENV_VARS, type RuntimeEnv } from '../lambdas/core/env';
import { functionName } from '../lambdas/core/names';
import type { Env, PlaybookWiring } from '../lambdas/wiring';
import { acknowledge, wildcardAcknowledgements } from './nag';
import { documentOf, functionPermissions, mergeStatements, type FunctionPermissionContext, type RoleStatementSpec } from './permissions';
import { layoutPolicies } from './policy-size';

/**
 * The runtime every playbook function runs on, and the esbuild target that goes with it:
 * change both together, and only after the handlers' tests pass on the new Node.js.
 */
export const PLAYBOOK_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const PLAYBOOK_NODE_TARGET = 'node22';

/**
 * ESM bundles still contain CommonJS dependencies that call `require` (node built-ins): give
 * them one. Aliased so it cannot clash with a name in the bundle.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __streamfixCreateRequire } from 'module'; const require = __streamfixCreateRequire(import.meta.url);";

/** The variable the handler reads the validated config from (replaced at bundle time). */
export const CONFIG_DEFINE = 'process.env.STREAMFIX_CONFIG_JSON';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** The function's environment: every ENV_VARS entry that has a value, plus Powertools' own. */
export function functionEnvironment(runtime: RuntimeEnv, playbook: string, logLevel: LogLevel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, variable] of Object.entries(ENV_VARS) as [keyof RuntimeEnv, string][]) {
    const value = runtime[key];
    if (value !== undefined) out[variable] = value;
  }
  out.POWERTOOLS_SERVICE_NAME = playbook;
  out.POWERTOOLS_LOG_LEVEL = logLevel;
  // The bundle ships a source map: make stack traces point into the TypeScript sources.
  out.NODE_OPTIONS = '--enable-source-maps';
  return out;
}

export interface StreamfixFunctionProps {
  readonly config: StreamfixConfig;
  /** Function name suffix and Powertools service name: the playbook or operation id. */
  readonly id: string;
  readonly description: string;
  /** The handler file (exports `handler`). */
  readonly entry: string;
  /** Directory holding package.json and package-lock.json. */
  readonly projectRoot: string;
  /** What the function reads from its environment (see lambdas/core/env.ts). */
  readonly runtimeEnv: RuntimeEnv;
  /** The role's exact permissions, given the function's own log group. */
  readonly permissions: (own: { logGroupArn: string }) => RoleStatementSpec[];
  readonly roleDescription: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Asynchronous invocations (EventBridge): retries and the on-failure queue. Absent for manual-only functions. */
  readonly deadLetterQueue?: sqs.IQueue;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
}

/**
 * A streamfix Lambda function, its log group and its role. The role holds exactly the
 * permissions listed in `permissions`: it is built from that list and handed to the function
 * as immutable, so no grant can widen it behind the list.
 */
export class StreamfixFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly permissions: RoleStatementSpec[];
  /** What did not fit in the role's inline policy (IAM's 10,240 characters): managed policies of at most 6,144 each. */
  readonly managedPolicies: iam.ManagedPolicy[] = [];

  constructor(scope: Construct, id: string, props: StreamfixFunctionProps) {
    super(scope, id);
    const { config } = props;
    const name = functionName(config.name, props.id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${name}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // The logs are the record of what streamfix did; they expire with their retention.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.permissions = props.permissions({ logGroupArn: this.logGroup.logGroupArn });
    // Within IAM's size limits: inline while it fits, then managed policies (synth fails past ten).
    const layout = layoutPolicies(this, `function ${name}`, mergeStatements(this.permissions));
    this.managedPolicies = layout.managed.map(
      (statements, i) =>
        new iam.ManagedPolicy(this, `Permissions${i + 1}`, {
          description: `streamfix ${props.id}: permissions part ${i + 2} of ${layout.managed.length + 1} (the role's inline policy is part 1)`,
          document: documentOf(statements),
        }),
    );
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.roleDescription.slice(0, 1000),
      inlinePolicies: { permissions: documentOf(layout.inline) },
      managedPolicies: this.managedPolicies,
    });
    for (const ack of wildcardAcknowledgements(this.role, layout.inline)) acknowledge(this.role, ack.id, ack.reason);
    layout.managed.forEach((statements, i) => {
      for (const ack of wildcardAcknowledgements(this.managedPolicies[i]!, statements)) acknowledge(this.managedPolicies[i]!, ack.id, ack.reason);
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: name,
      description: props.description.slice(0, 256),
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: PLAYBOOK_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role.withoutPolicyUpdates(),
      logGroup: this.logGroup,
      environment: functionEnvironment(props.runtimeEnv, props.id, props.logLevel ?? 'INFO'),
      ...(props.deadLetterQueue
        ? { retryAttempts: 2, maxEventAge: Duration.hours(1), onFailure: new destinations.SqsDestination(props.deadLetterQueue) }
        : { retryAttempts: 0 }),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: PLAYBOOK_NODE_TARGET,
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not a copy of every source file: a smaller map to load.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the AWS SDK too: the versions the tests ran against are the ones deployed.
        externalModules: [],
        // The config validated at synth, baked in: the handler needs no file or parameter to start.
        define: { [CONFIG_DEFINE]: JSON.stringify(JSON.stringify(config)) },
        forceDockerBundling: false,
      },
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      `Pinned to ${PLAYBOOK_RUNTIME.name} on purpose: the bundle is compiled for ${PLAYBOOK_NODE_TARGET} (esbuild target) ` +
        'and the runtime moves together with that target once the handlers are tested on the newer Node.js, ' +
        'not whenever the CDK library lists a newer runtime.',
    );
  }
}

export interface PlaybookFunctionProps {
  readonly config: StreamfixConfig;
  readonly wiring: PlaybookWiring;
  /** Account / region / partition the manifests build their ARNs from. */
  readonly env: Env;
  /** The handler file (exports `handler`). */
  readonly entry: string;
  /** Directory holding package.json and package-lock.json. */
  readonly projectRoot: string;
  /** What the engine reads from its environment (see lambdas/core/env.ts). */
  readonly runtimeEnv: RuntimeEnv;
  /** The engine's resources, for its permissions. */
  readonly permissionContext: Omit<FunctionPermissionContext, 'logGroupArn' | 'deadLetterQueueArn'>;
  /** Keeps asynchronous invocations that failed every retry. */
  readonly deadLetterQueue: sqs.IQueue;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
}

/** One playbook's function: manifest + engine + runtime permissions, invoked by EventBridge and its own schedules. */
export class PlaybookFunction extends StreamfixFunction {
  constructor(scope: Construct, id: string, props: PlaybookFunctionProps) {
    const { config, wiring } = props;
    super(scope, id, {
      config,
      id: wiring.playbook,
      description: `streamfix playbook ${wiring.playbook}: ${wiring.manifest.title}`,
      entry: props.entry,
      projectRoot: props.projectRoot,
      runtimeEnv: props.runtimeEnv,
      permissions: ({ logGroupArn }) =>
        functionPermissions(config, wiring, props.env, { ...props.permissionContext, logGroupArn, deadLetterQueueArn: props.deadLetterQueue.queueArn }),
      roleDescription: `streamfix ${wiring.playbook}: manifest, engine and runtime permissions for ${wiring.pipelines.join(', ')}`,
      timeout: Duration.minutes(5),
      memorySize: 512,
      deadLetterQueue: props.deadLetterQueue,
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
    });
  }
}
