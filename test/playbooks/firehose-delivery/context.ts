import type { DescribeDeliveryStreamCommandOutput } from '@aws-sdk/client-firehose';
import { createAwsAdapters } from '../../../lambdas/adapters';
import { ManualClock } from '../../../lambdas/core/clock';
import type { FirehoseDeliverySettings } from '../../../lambdas/playbooks/firehose-delivery/manifest';
import type { ActionContext } from '../../../lambdas/core/playbook';
import { reply } from '../../adapters/aws-fixtures';
import { NOW, config, pipeline, settingsWith } from './fixtures';

/** A playbook context on real adapters: the tests mock the SDK clients underneath. */
export function actionContext(settings: FirehoseDeliverySettings = settingsWith(), nowMs = NOW): ActionContext<FirehoseDeliverySettings> {
  return {
    pipelineName: 'orders',
    pipeline,
    settings,
    config,
    clock: new ManualClock(nowMs),
    aws: createAwsAdapters({ region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }),
    incidentId: 'orders.firehose-delivery.20261122T095500.abc123',
    signal: new AbortController().signal,
    history: { actionsInLastHour: async () => 0 },
    actionId: 'orders.firehose-delivery.20261122T095500.abc123#0',
  };
}

/** The recorded DescribeDeliveryStream reply, with another version and hints. */
export function describedAs(versionId: string, sizeInMBs: number, intervalInSeconds: number): DescribeDeliveryStreamCommandOutput {
  const r = reply<DescribeDeliveryStreamCommandOutput>('firehose', 'DescribeDeliveryStream');
  const d = r.DeliveryStreamDescription!;
  d.VersionId = versionId;
  for (const dest of d.Destinations ?? []) {
    if (dest.ExtendedS3DestinationDescription)
      dest.ExtendedS3DestinationDescription.BufferingHints = { SizeInMBs: sizeInMBs, IntervalInSeconds: intervalInSeconds };
    if (dest.S3DestinationDescription) dest.S3DestinationDescription.BufferingHints = { SizeInMBs: sizeInMBs, IntervalInSeconds: intervalInSeconds };
  }
  return r;
}
