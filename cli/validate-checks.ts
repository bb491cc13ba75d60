import { App, Stack } from 'aws-cdk-lib';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { functionName } from '../lambdas/core/names';
import { jobLabel } from '../lambdas/config/job-kind';
import { jobResourceOf } from '../lambdas/runtimes';
import { buildWiring, type PlaybookWiring } from '../lambdas/wiring';
import { sharedDlqMetricError } from '../lambdas/playbooks/dlq-spike/manifest';
import { functionPermissions, mergeStatements } from '../lib/permissions';
import { documentChars, IAM_LIMITS, layoutPolicies } from '../lib/policy-size';

/**
 * What `streamfix validate` checks beyond the schema (pure: the config alone, no AWS call):
 * names that must agree with each other (an MSK cluster's name and its ARN, ARNs in the config's
 * region and account), what pipelines must not share (a job, a DLQ metric) and what they share
 * knowingly (an alarm's metric), CloudWatch's name lengths, and whether each function's role
 * fits IAM's policy size quotas. Each finding names the config path it is about.
 */

export interface Finding {
  level: 'error' | 'warning';
  path: string;
  message: string;
}

/** Every AWS resource the config names, for `--live` and for a person to read. */
export interface Inventory {
  clusters: { path: string; arn: string; name: string }[];
  applications: { path: string; applicationId: string; releaseLabel?: string }[];
  streams: { path: string; name: string }[];
  /** Bucket and prefix of each S3 location (checkpoint, DLQ, sink, error output, driver logs, reports). */
  locations: { path: string; uri: string }[];
  roles: { path: string; arn: string }[];
}

/** `arn:aws:kafka:eu-west-1:123456789012:cluster/orders/<uuid>` → its parts. */
export function parseArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  const m = /^arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/.exec(arn);
  return m ? { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4] ?? '', resource: m[5]! } : undefined;
}

export function inventory(config: StreamfixConfig): Inventory {
  const inv: Inventory = { clusters: [], applications: [], streams: [], locations: [], roles: [] };
  for (const [name, p] of Object.entries(config.pipelines)) {
    const at = `pipelines.${name}`;
    if (p.source.kind === 'msk') inv.clusters.push({ path: `${at}.source.clusterArn`, arn: p.source.clusterArn, name: p.source.clusterName });
    if (p.job.kind === 'emr-serverless') {
      inv.applications.push({
        path: `${at}.job.applicationId`,
        applicationId: p.job.applicationId,
        ...(p.job.releaseLabel ? { releaseLabel: p.job.releaseLabel } : {}),
      });
      inv.roles.push({ path: `${at}.job.executionRoleArn`, arn: p.job.executionRoleArn });
      inv.locations.push({ path: `${at}.job.checkpoint`, uri: p.job.checkpoint });
      if (p.job.driverLogs?.s3) inv.locations.push({ path: `${at}.job.driverLogs.s3`, uri: p.job.driverLogs.s3 });
    }
    if (p.sink) {
      inv.streams.push({ path: `${at}.sink.deliveryStreamName`, name: p.sink.deliveryStreamName });
      if (p.sink.s3) inv.locations.push({ path: `${at}.sink.s3`, uri: p.sink.s3 });
    }
    if (p.dlq) {
      inv.locations.push({ path: `${at}.dlq.s3`, uri: p.dlq.s3 });
      if (p.dlq.firehoseErrorOutput) inv.locations.push({ path: `${at}.dlq.firehoseErrorOutput`, uri: p.dlq.firehoseErrorOutput });
    }
  }
  if (config.reports) inv.locations.push({ path: 'reports.s3', uri: config.reports.s3 });
  return inv;
}

/** CloudWatch alarm names are at most 255 characters (PutMetricAlarm). */
const MAX_ALARM_NAME = 255;

function namesAgree(config: StreamfixConfig, out: Finding[]): void {
  const arns: { path: string; arn: string }[] = [];
  for (const [name, p] of Object.entries(config.pipelines)) {
    const at = `pipelines.${name}`;
    if (p.source.kind === 'msk') {
      arns.push({ path: `${at}.source.clusterArn`, arn: p.source.clusterArn });
      const resource = parseArn(p.source.clusterArn)?.resource ?? '';
      const clusterName = /^cluster\/([^/]+)\//.exec(resource)?.[1];
      if (clusterName === undefined)
        out.push({
          level: 'error',
          path: `${at}.source.clusterArn`,
          message: `not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>): ${p.source.clusterArn}`,
        });
      else if (clusterName !== p.source.clusterName) {
        out.push({
          level: 'error',
          path: `${at}.source.clusterName`,
          message: `"${p.source.clusterName}" is not the name in the cluster ARN ("${clusterName}"): the lag metrics carry the ARN's name as "Cluster Name"`,
        });
      }
    }
    if (p.job.kind === 'emr-serverless') arns.push({ path: `${at}.job.executionRoleArn`, arn: p.job.executionRoleArn });
  }
  for (const { path, arn } of arns) {
    const a = parseArn(arn);
    if (!a) continue;
    if (config.region !== undefined && a.region !== '' && a.region !== config.region)
      out.push({ level: 'error', path, message: `is in region ${a.region}, the config's region is ${config.region}: streamfix acts in one region` });
    if (config.account !== undefined && a.account !== '' && a.account !== config.account)
      out.push({ level: 'error', path, message: `is in account ${a.account}, the config's account is ${config.account}: streamfix acts in one account` });
  }
  if (config.region === undefined)
    out.push({ level: 'warning', path: 'region', message: "not set: the CLI needs --region or AWS_REGION, and `cdk deploy` uses the profile's region" });
}

function sharing(config: StreamfixConfig, wiring: readonly PlaybookWiring[], out: Finding[]): void {
  const jobs = new Map<string, string>();
  for (const [name, p] of Object.entries(config.pipelines)) {
    const key = jobResourceOf(p.job);
    const other = jobs.get(key);
    const field = p.job.kind === 'emr-serverless' ? 'jobName' : 'applicationName';
    if (other)
      out.push({
        level: 'error',
        path: `pipelines.${name}.job.${field}`,
        message: `the job ${jobLabel(p)}${p.job.kind === 'emr-serverless' ? ` on ${p.job.applicationId}` : ''} is also pipeline ${other}'s: one job, one pipeline (two would restart it twice)`,
      });
    else jobs.set(key, name);
  }
  const dlq = sharedDlqMetricError(config);
  if (dlq) out.push({ level: 'error', path: 'pipelines', message: dlq });
  const byMetric = new Map<string, { pipeline: string; alarm: string }[]>();
  for (const w of wiring) {
    for (const a of w.alarms) {
      const m = a.spec.metric;
      const key = JSON.stringify([m.namespace, m.metricName, Object.entries(m.dimensions).sort()]);
      byMetric.set(key, [...(byMetric.get(key) ?? []), { pipeline: a.pipeline, alarm: a.name }]);
    }
  }
  for (const [key, uses] of byMetric) {
    const pipelines = [...new Set(uses.map((u) => u.pipeline))];
    if (pipelines.length < 2) continue;
    const [ns, metric, dims] = JSON.parse(key) as [string, string, [string, string][]];
    out.push({
      level: 'warning',
      path: `pipelines.${pipelines[1]}`,
      message: `pipelines ${pipelines.join(', ')} alarm on the same metric ${ns}/${metric} (${dims.map(([k, v]) => `${k}=${v}`).join(', ') || 'no dimensions'}): each of its alarms fires for all of them (${uses.map((u) => u.alarm).join(', ')})`,
    });
  }
  const routed = new Set(wiring.flatMap((w) => w.alarms.map((a) => a.name)));
  config.routes.forEach((r, i) => {
    if (routed.has(r.alarmName))
      out.push({
        level: 'error',
        path: `routes[${i}].alarmName`,
        message: `"${r.alarmName}" is an alarm the stack creates itself; route your own alarms only`,
      });
  });
  for (const w of wiring) {
    for (const a of w.alarms) {
      if (a.name.length > MAX_ALARM_NAME)
        out.push({
          level: 'error',
          path: `pipelines.${a.pipeline}`,
          message: `alarm name ${a.name} is ${a.name.length} characters, over CloudWatch's ${MAX_ALARM_NAME}: shorten the config name or the pipeline name`,
        });
    }
  }
}

/** Each playbook function's role as the stack would lay it out within IAM's quotas. */
function policySizes(config: StreamfixConfig, wiring: readonly PlaybookWiring[], out: Finding[]): { fn: string; chars: number; managedPolicies: number }[] {
  const account = config.account ?? '123456789012';
  const region = config.region ?? 'us-east-1';
  const env = { account, region, partition: 'aws' };
  const scope = new Stack(new App(), 'StreamfixValidate', { env: { account, region } });
  const sizes: { fn: string; chars: number; managedPolicies: number }[] = [];
  for (const w of wiring) {
    const fn = functionName(config.name, w.playbook);
    const table = `arn:aws:dynamodb:${region}:${account}:table/${config.name}-ledger`;
    const specs = functionPermissions(config, w, env, {
      prefix: config.name,
      ...env,
      tableArn: table,
      topicArn: `arn:aws:sns:${region}:${account}:${config.name}-escalations`,
      topicKeyArn: `arn:aws:kms:${region}:${account}:key/00000000-0000-0000-0000-000000000000`,
      ...(config.escalation.pagerDuty
        ? { pagerDutySecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:${config.escalation.pagerDuty.secretName}` }
        : {}),
      schedulerGroup: config.name,
      schedulerRoleArn: `arn:aws:iam::${account}:role/${config.name}-scheduler`,
      pauseParameterArn: `arn:aws:ssm:${region}:${account}:parameter/${config.name}/pause`,
      pipelinePauseParameterArns: Object.fromEntries(w.pipelines.map((p) => [p, `arn:aws:ssm:${region}:${account}:parameter/${config.name}/pause/${p}`])),
      logGroupArn: `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${fn}`,
      deadLetterQueueArn: `arn:aws:sqs:${region}:${account}:${config.name}-dead-letters`,
    });
    const statements = mergeStatements(specs);
    try {
      const layout = layoutPolicies(scope, `function ${fn}`, statements);
      sizes.push({ fn, chars: documentChars(scope, statements), managedPolicies: layout.managed.length });
      if (layout.managed.length > IAM_LIMITS.managedPerRole / 2) {
        out.push({
          level: 'warning',
          path: 'pipelines',
          message: `${fn}: its role needs ${layout.managed.length} managed policies besides the inline one (IAM attaches at most ${IAM_LIMITS.managedPerRole}): few pipelines more and it will not fit`,
        });
      }
    } catch (e) {
      out.push({ level: 'error', path: 'pipelines', message: (e as Error).message });
    }
  }
  return sizes;
}

export interface ValidationReport {
  findings: Finding[];
  inventory: Inventory;
  functions: { fn: string; chars: number; managedPolicies: number }[];
}

export function crossCheck(config: StreamfixConfig): ValidationReport {
  const findings: Finding[] = [];
  const wiring = buildWiring(config, { account: config.account ?? '123456789012', region: config.region ?? 'us-east-1', partition: 'aws' });
  namesAgree(config, findings);
  sharing(config, wiring, findings);
  const functions = policySizes(config, wiring, findings);
  return { findings, inventory: inventory(config), functions };
}
