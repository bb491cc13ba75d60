import { defineConfig } from './lambdas/schema';

/**
 * Example configuration: one pipeline, `orders`.
 * MSK topic orders.raw (group order-processor) → Spark streaming job on EMR Serverless
 * (checkpoint in S3) → Firehose order-firehose → S3, with a dead-letter prefix.
 * Replace the ids and ARNs with yours, check it with `npx streamfix validate` (`--live` against
 * your account), then deploy (README, "Deploy").
 */
export default defineConfig({
  name: 'streamfix',
  // Where the pipeline runs: the CLI's default region, and checked against the ARNs below (streamfix validate).
  region: 'eu-west-1',
  account: '123456789012',
  escalation: {
    emails: ['streaming-oncall@example.com'],
    pagerDuty: { secretName: 'streamfix/pagerduty-routing-key' },
  },
  pipelines: {
    orders: {
      description: 'Orders: Kafka → Spark on EMR Serverless → Firehose → S3',
      source: {
        kind: 'msk',
        clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/order-processing/7b3c1f0e-2a4d-4e8f-9b1a-0c2d3e4f5a6b-3',
        clusterName: 'order-processing',
        topic: 'orders.raw',
        consumerGroup: 'order-processor',
        retentionHours: 168,
        // The cluster's client subnets and a security group its brokers accept: dlq-replay runs in them.
        vpc: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'], securityGroupIds: ['sg-0123456789abcdef0'] },
      },
      job: {
        kind: 'emr-serverless',
        applicationId: '00fabcd1234efg5h',
        jobName: 'orders-stream',
        executionRoleArn: 'arn:aws:iam::123456789012:role/EmrServerlessJobExecutionRole',
        checkpoint: 's3://orders-data-lake/_checkpoints/streaming/orders/',
      },
      sink: { kind: 'firehose', deliveryStreamName: 'order-firehose' },
      dlq: { s3: 's3://orders-data-lake/dlq/orders/' },
      playbooks: {
        'job-failed': { mode: 'auto', maxActionsPerHour: 3, cooldownSeconds: 300 },
      },
    },
  },
});
