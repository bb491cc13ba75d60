import { listBucketUnder } from '../../core/permissions';
import type { PermissionSpec } from '../../core/playbook';
import type { OperationManifest, OperationPipelineContext } from '../types';
import { s3LocationOf } from '../../util/s3-uri';

/**
 * dlq-replay: re-sends dead-letter records (the pipeline's DLQ or Firehose's error output) to
 * the pipeline's source topic or Firehose stream, once their cause is fixed. Manual only.
 */

const location = s3LocationOf;

function readAndQuarantine(p: OperationPipelineContext, uri: string, what: string): PermissionSpec[] {
  const { bucket, prefix } = location(uri);
  const s3 = `arn:${p.partition}:s3:::${bucket}`;
  return [
    listBucketUnder(p.partition, bucket, [prefix], 'diagnose', `list the objects of ${what} (listing limited to that prefix)`),
    { step: 'diagnose', actions: ['s3:GetObject'], resources: [`${s3}/${prefix}*`], why: `stream the records of ${what}` },
    { step: 'act', actions: ['s3:PutObject'], resources: [`${s3}/${prefix}_quarantine/*`], why: `quarantine records of ${what} that fail again` },
  ];
}

/** `arn:…:cluster/<name>/<uuid>` → `arn:…:topic/<name>/<uuid>/<topic>` (MSK IAM resource names). */
export const mskTopicArn = (clusterArn: string, topic: string): string => `${clusterArn.replace(':cluster/', ':topic/')}/${topic}`;

export const dlqReplayManifest: OperationManifest = {
  id: 'dlq-replay',
  title: 'Replay dead-letter records once their cause is fixed',
  summary:
    'Streams DLQ objects (the pipeline envelope or Firehose error output), selects by time, error type and key predicates, ' +
    "and re-sends to the pipeline's Firehose stream or source topic: dry run by default, rate-limited, resumable, " +
    'never re-sending what was acknowledged; records failing again go to a quarantine prefix.',
  timeoutSeconds: 900,
  memoryMb: 1024,
  appliesTo: (pipeline) => pipeline.dlq !== undefined,
  permissions: (p) => {
    const { pipeline } = p;
    const out: PermissionSpec[] = [...readAndQuarantine(p, pipeline.dlq!.s3, 'the pipeline DLQ')];
    if (pipeline.dlq?.firehoseErrorOutput) out.push(...readAndQuarantine(p, pipeline.dlq.firehoseErrorOutput, 'the Firehose error output'));
    if (pipeline.sink) {
      out.push({
        step: 'act',
        actions: ['firehose:PutRecordBatch'],
        resources: [`arn:${p.partition}:firehose:${p.region}:${p.account}:deliverystream/${pipeline.sink.deliveryStreamName}`],
        why: "replay records to the pipeline's delivery stream (batches of at most 500 records / 4 MiB)",
      });
    }
    if (pipeline.source.kind === 'msk') {
      out.push(
        {
          step: 'diagnose',
          actions: ['kafka:GetBootstrapBrokers'],
          resources: ['*'],
          why: 'find the SASL/IAM bootstrap brokers of the source cluster (IAM has no resource-level permission for this read)',
        },
        {
          step: 'act',
          actions: ['kafka-cluster:Connect'],
          resources: [pipeline.source.clusterArn],
          why: 'connect to the source cluster with IAM auth to replay records',
        },
        {
          step: 'act',
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
          resources: [mskTopicArn(pipeline.source.clusterArn, pipeline.source.topic)],
          why: "produce the replayed records to the pipeline's source topic only",
        },
      );
    }
    return out;
  },
};
