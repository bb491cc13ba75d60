import type { AwsAdapters } from '../lambdas/adapters';
import type { StreamfixConfig } from '../lambdas/config/schema';
import { NotFoundError } from '../lambdas/core/errors';
import { buildWiring } from '../lambdas/wiring';
import { describeError } from './common';
import type { Finding, Inventory } from './validate-checks';

/**
 * `streamfix validate --live`: read-only checks that what the config names exists in the account
 * (the adapters carry the read-only plugin): each MSK cluster (DescribeClusterV2), EMR Serverless
 * application (GetApplication, with its release and name against the config), Firehose stream
 * (DescribeDeliveryStream), S3 location (ListObjectsV2 of one key), and each alarm's metric
 * (ListMetrics: CloudWatch lists a metric that received data in the last two weeks, "ListMetrics",
 * CloudWatch API Reference). A resource that is missing is an error; one that could not be read
 * (access denied) or a metric without data is a warning.
 */

const bucketOf = (uri: string) => {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return { bucket: rest.slice(0, slash), prefix: rest.slice(slash + 1) };
};

async function check(out: Finding[], path: string, what: string, body: () => Promise<string | undefined>): Promise<void> {
  try {
    const problem = await body();
    if (problem) out.push({ level: 'warning', path, message: problem });
  } catch (e) {
    const missing = e instanceof NotFoundError || /NoSuchBucket|NotFound|ResourceNotFound/.test(`${(e as Error).name} ${(e as Error).message}`);
    out.push(
      missing
        ? { level: 'error', path, message: `${what} does not exist (${describeError(e)})` }
        : { level: 'warning', path, message: `${what} could not be checked: ${describeError(e)}` },
    );
  }
}

export async function liveChecks(config: StreamfixConfig, inv: Inventory, aws: AwsAdapters, region: string): Promise<Finding[]> {
  const out: Finding[] = [];
  const jobs = Object.entries(config.pipelines).flatMap(([name, p]) => (p.job.kind === 'emr-serverless' ? [{ name, job: p.job }] : []));
  await Promise.all([
    ...inv.clusters.map((c) =>
      check(out, c.path, `MSK cluster ${c.name}`, async () => {
        const view = await aws.msk.describeCluster(c.arn);
        return view.state === 'ACTIVE' ? undefined : `MSK cluster ${c.name} is ${view.state}`;
      }),
    ),
    ...inv.applications.map((a) =>
      check(out, a.path, `EMR Serverless application ${a.applicationId}`, async () => {
        const app = await aws.emr.getApplication(a.applicationId);
        const job = jobs.find((j) => `pipelines.${j.name}.job.applicationId` === a.path)?.job;
        if (job?.releaseLabel && app.releaseLabel && app.releaseLabel !== job.releaseLabel) {
          out.push({
            level: 'error',
            path: a.path.replace(/applicationId$/, 'releaseLabel'),
            message: `is ${job.releaseLabel}, the application runs ${app.releaseLabel}: the job alarms would watch the wrong dimensions`,
          });
        }
        if (job?.applicationName && app.name && app.name !== job.applicationName) {
          out.push({
            level: 'error',
            path: a.path.replace(/applicationId$/, 'applicationName'),
            message: `is "${job.applicationName}", the application is named "${app.name}"`,
          });
        }
        return undefined;
      }),
    ),
    ...inv.streams.map((s) =>
      check(out, s.path, `Firehose stream ${s.name}`, async () => {
        const view = await aws.firehose.describeDeliveryStream(s.name);
        return view.status === 'ACTIVE' ? undefined : `Firehose stream ${s.name} is ${view.status}`;
      }),
    ),
    ...inv.locations.map((l) =>
      check(out, l.path, `S3 location ${l.uri}`, async () => {
        const { bucket, prefix } = bucketOf(l.uri);
        for await (const _ of aws.s3.listPrefix(bucket, prefix, { maxKeys: 1 })) return undefined;
        return l.path.endsWith('.checkpoint') ? `nothing under ${l.uri} yet: the job has not checkpointed there` : undefined;
      }),
    ),
    ...buildWiring(config, { account: config.account ?? '', region, partition: 'aws' })
      .flatMap((w) => w.alarms)
      .map((a) =>
        check(out, `pipelines.${a.pipeline}.playbooks.${a.playbook}`, `metric ${a.spec.metric.namespace}/${a.spec.metric.metricName}`, async () => {
          const m = a.spec.metric;
          const found = await aws.cloudwatch.listMetrics(m.namespace, m.metricName, m.dimensions, 1);
          return found.length > 0
            ? undefined
            : `no data in the last two weeks for ${m.namespace}/${m.metricName} (${Object.entries(m.dimensions)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}): alarm ${a.name} would see missing data`;
        }),
      ),
  ]);
  return out.sort((x, y) => x.path.localeCompare(y.path));
}
