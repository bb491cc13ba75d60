import type { DeliveryStreamView, S3DestinationView } from '../../../lambdas/adapters/firehose';
import type { SimulationResult } from '../../../lambdas/adapters/iam';
import type { Series } from '../../../lambdas/analysis/firehose';
import { summarizeDeliveryErrors } from '../../../lambdas/analysis/firehose-errors';
import { parseConfig } from '../../../lambdas/schema';
import type { FirehoseDeliveryEvidence } from '../../../lambdas/playbooks/firehose-delivery/diagnose';
import { firehoseDeliverySettings, type FirehoseDeliverySettings } from '../../../lambdas/playbooks/firehose-delivery/manifest';
import type { PlanInput } from '../../../lambdas/core/playbook';
import { planFirehoseDelivery } from '../../../lambdas/playbooks/firehose-delivery/plan';
import exampleConfig from '../../../streamfix.config';

/** Shared builders of the firehose-delivery tests: one healthy stream, changed per test. */
export const NOW = Date.parse('2026-11-22T10:00:00.000Z');
export const MIB = 1024 * 1024;
export const HOUR_S = 3_600;
export const config = parseConfig(exampleConfig);
export const pipeline = config.pipelines.orders!;
export const STREAM = 'order-firehose';
export const ROLE = 'arn:aws:iam::123456789012:role/firehose-orders-delivery';
export const BUCKET = 'arn:aws:s3:::orders-data-lake';
export const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/5f0c1b2a-7d3e-4c4f-9a8b-1c2d3e4f5a6b';

export const settingsWith = (bounds: Record<string, unknown> = {}, over: Record<string, unknown> = {}): FirehoseDeliverySettings =>
  firehoseDeliverySettings.parse({ ...over, bounds: { deliveryRoleArn: ROLE, ...bounds } });

/** Points one period apart, the last one at `endMs`. */
export const series = (values: number[], periodSeconds = 60, endMs = NOW): Series => ({
  timestampsMs: values.map((_, i) => endMs - (values.length - 1 - i) * periodSeconds * 1000),
  values,
});
export const flat = (value: number, n = 30, periodSeconds = 60) =>
  series(
    Array.from({ length: n }, () => value),
    periodSeconds,
  );
/** A freshness that grows one second per second (a stall), ending at `end`. */
export const stalled = (end: number, n = 30) => series(Array.from({ length: n }, (_, i) => Math.max(0, end - (n - 1 - i) * 60)));

export const destination = (over: Partial<S3DestinationView> = {}): S3DestinationView => ({
  destinationId: 'destinationId-000000000001',
  roleArn: ROLE,
  bucketArn: BUCKET,
  prefix: 'raw/orders/!{timestamp:yyyy/MM/dd}/',
  errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
  bufferingHints: { sizeInMBs: 5, intervalInSeconds: 300 },
  errorLoggingEnabled: true,
  logGroupName: '/aws/kinesisfirehose/order-firehose',
  logStreamName: 'S3Delivery',
  ...over,
});

export const stream = (over: Partial<DeliveryStreamView> = {}, dest: Partial<S3DestinationView> = {}): DeliveryStreamView => ({
  name: STREAM,
  arn: `arn:aws:firehose:eu-west-1:123456789012:deliverystream/${STREAM}`,
  status: 'ACTIVE',
  versionId: '7',
  type: 'DirectPut',
  destinations: [destination(dest)],
  ...over,
});

export const allowedAll = (): SimulationResult[] =>
  ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'].map((action) => ({
    action,
    resource: action.includes('Bucket') ? BUCKET : `${BUCKET}/raw/orders/*`,
    decision: 'allowed',
    matchedStatements: ['firehose-s3'],
    missingContextValues: [],
  }));

export const deny = (results: SimulationResult[], action: string): SimulationResult[] =>
  results.map((r) => (r.action === action ? { ...r, decision: 'implicitDeny', matchedStatements: [] } : r));

export const errorLines = (code: string, n: number, message = 'message') =>
  Array.from({ length: n }, (_, i) => ({
    timestampMs: NOW - (n - i) * 30_000,
    message: JSON.stringify({
      deliveryStreamARN: `arn:aws:firehose:eu-west-1:123456789012:deliverystream/${STREAM}`,
      destination: BUCKET,
      deliveryStreamVersionId: 7,
      message,
      errorCode: code,
    }),
  }));

/** A healthy stream: 100 records/s of 1 KiB, freshness 60 s, every delivery succeeds. */
export function evidence(over: Partial<FirehoseDeliveryEvidence> = {}, recent: Partial<FirehoseDeliveryEvidence['recent']> = {}): FirehoseDeliveryEvidence {
  return {
    streamName: STREAM,
    stream: stream(),
    destination: destination(),
    errorLog: { logGroupName: '/aws/kinesisfirehose/order-firehose', logStreamName: 'S3Delivery', enabled: true, read: true },
    errors: summarizeDeliveryErrors([]),
    permissions: { checked: true, roleArn: ROLE, results: allowedAll() },
    recent: {
      periodSeconds: 60,
      freshness: flat(60),
      success: flat(1),
      incomingRecords: flat(6_000),
      incomingBytes: flat(6_000 * 1024),
      throttled: flat(0),
      ...recent,
    },
    history: { periodSeconds: 300, startMs: NOW - 49 * HOUR_S * 1000, freshness: flat(60, 588, 300), incomingRecords: flat(30_000, 588, 300) },
    ...over,
  };
}

export const withErrors = (events: { timestampMs: number; message: string }[]) => ({ errors: summarizeDeliveryErrors(events) });

export const plan = (e: FirehoseDeliveryEvidence, s: FirehoseDeliverySettings = settingsWith(), nowMs = NOW) => {
  const input: PlanInput<FirehoseDeliverySettings, FirehoseDeliveryEvidence> = {
    pipelineName: 'orders',
    pipeline,
    settings: s,
    evidence: e,
    nowMs,
    incidentId: 'orders.firehose-delivery.20261122T095500.abc123',
    trigger: {
      kind: 'alarm',
      eventId: 'e1',
      dedupeKey: 'k',
      alarmName: 'streamfix-orders-firehose-delivery-freshness',
      state: 'ALARM',
      stateAtMs: NOW,
      reason: 'Threshold Crossed',
      composite: false,
      triggeringAlarms: [],
      metrics: [],
    },
  };
  return planFirehoseDelivery(input);
};
