import type { StreamfixConfig } from '../lambdas/config';
import type { ExpectationCheck } from './result-types';
import type { FirehoseExpectations } from './scenario/firehose';
import type { TimelineEntry, WorldSpec } from './scenario/schema';
import type { IamStatement } from './sim/iam';
import type { SimWorld } from './sim/world';

/**
 * The drills' Firehose side: seeds the streams, roles and keys a scenario describes, carries
 * out its Firehose/IAM/KMS faults, sums up each stream at the end, and checks `expect.firehose`.
 */

export interface FirehoseStreamSummary {
  versionId: number;
  bufferingHints: { sizeInMBs: number; intervalInSeconds: number };
  freshnessSeconds: number;
  delivering: boolean;
  lastError?: string;
  deliveredRecords: number;
  lostRecords: number;
  objects: number;
}

const streamOf = (ref: { pipeline?: string | undefined; stream?: string | undefined }, config: StreamfixConfig): string => {
  if (ref.stream !== undefined) return ref.stream;
  const sink = config.pipelines[ref.pipeline ?? '']?.sink;
  if (!sink) throw new Error(`pipeline ${ref.pipeline} has no Firehose sink`);
  return sink.deliveryStreamName;
};

/** What Firehose's delivery role needs (Firehose developer guide, "Grant Firehose access to an Amazon S3 destination"). */
export function deliveryRoleStatements(bucket: string, logGroup: string, region: string, account: string, kmsKeyArn?: string): IamStatement[] {
  return [
    {
      sid: 'FirehoseS3Delivery',
      effect: 'Allow',
      actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'],
      resources: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    },
    ...(kmsKeyArn ? [{ sid: 'FirehoseS3Encryption', effect: 'Allow' as const, actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [kmsKeyArn] }] : []),
    { sid: 'FirehoseErrorLog', effect: 'Allow', actions: ['logs:PutLogEvents'], resources: [`arn:aws:logs:${region}:${account}:log-group:${logGroup}:*`] },
  ];
}

export function seedFirehose(world: SimWorld, w: WorldSpec, config: StreamfixConfig, account: string, region: string): void {
  for (const k of w.kms.keys) world.kms.addKey(k.arn, k.enabled);
  for (const r of w.iam.roles)
    world.iam.addRole(
      r.arn,
      r.statements.map((s) => ({ ...s })),
    );
  for (const seed of w.firehose.streams) {
    const name = streamOf(seed, config);
    const roleArn = seed.roleArn ?? `arn:aws:iam::${account}:role/${name}-delivery`;
    const bucket = seed.bucket ?? `${name}-destination`;
    const logGroupName = `/aws/kinesisfirehose/${name}`;
    world.s3.createBucket(bucket);
    for (const key of [seed.kmsKeyArn, seed.sseKeyArn]) if (key && !world.kms.exists(key)) world.kms.addKey(key, true);
    if (!world.iam.hasRole(roleArn)) world.iam.addRole(roleArn, deliveryRoleStatements(bucket, logGroupName, region, account, seed.kmsKeyArn));
    world.firehose.addStream({
      name,
      roleArn,
      bucket,
      prefix: seed.prefix,
      errorOutputPrefix: seed.errorOutputPrefix,
      ...(seed.kmsKeyArn ? { kmsKeyArn: seed.kmsKeyArn } : {}),
      ...(seed.sseKeyArn ? { sseKeyArn: seed.sseKeyArn } : {}),
      sizeInMBs: seed.bufferingHints.sizeInMBs,
      intervalInSeconds: seed.bufferingHints.intervalInSeconds,
      errorLogging: seed.errorLogging,
      logGroupName,
      logStreamName: 'S3Delivery',
      recordsPerSecond: seed.recordsPerSecond,
      recordBytes: seed.recordBytes,
      maxObjectsPerMinute: seed.maxObjectsPerMinute,
      quotaRecordsPerSecond: seed.quotaRecordsPerSecond,
      retentionSeconds: seed.retention / 1000,
      versionId: seed.versionId,
      stalledForMs: seed.stalledFor,
      ...(seed.history !== undefined ? { historyMs: seed.history } : {}),
    });
  }
}

export const isFirehoseFault = (e: TimelineEntry): boolean =>
  e['iam-revoke'] !== undefined ||
  e['iam-grant'] !== undefined ||
  e['kms-key'] !== undefined ||
  e['firehose-traffic'] !== undefined ||
  e['update-firehose'] !== undefined;

/** Carries out one Firehose/IAM/KMS timeline entry; `fault` writes it to the record. */
export function applyFirehoseFault(world: SimWorld, config: StreamfixConfig, e: TimelineEntry, note: string, fault: (text: string) => void): void {
  if (e['iam-revoke']) {
    const f = e['iam-revoke'];
    world.iam.revoke(f.role, f.actions);
    fault(`iam-revoke ${f.role}: loses ${f.actions.join(', ')}${note}`);
  } else if (e['iam-grant']) {
    const f = e['iam-grant'];
    world.iam.grant(f.role, f.actions);
    fault(`iam-grant ${f.role}: gets ${f.actions.join(', ')} back${note}`);
  } else if (e['kms-key']) {
    const f = e['kms-key'];
    world.kms.setEnabled(f.keyArn, f.enabled);
    fault(`kms-key ${f.keyArn}: ${f.enabled ? 'enabled' : 'disabled'}${note}`);
  } else if (e['firehose-traffic']) {
    const f = e['firehose-traffic'];
    const s = world.firehose.stream(streamOf(f, config));
    s.recordsPerSecond = f.recordsPerSecond;
    if (f.recordBytes !== undefined) s.recordBytes = f.recordBytes;
    fault(`firehose-traffic ${s.name}: ${s.recordsPerSecond} records/s of ${s.recordBytes} bytes${note}`);
  } else if (e['update-firehose']) {
    const f = e['update-firehose'];
    const name = streamOf(f, config);
    const change = { ...(f.bufferingHints ?? {}), ...(f.prefix !== undefined ? { prefix: f.prefix } : {}) };
    const what = f.bufferingHints ? `${f.bufferingHints.sizeInMBs} MiB/${f.bufferingHints.intervalInSeconds} s` : `prefix ${f.prefix ?? '(unchanged)'}`;
    if (f.when === 'now') world.firehose.changeByOthers(name, change);
    else world.firehose.stream(name).beforeNextUpdate.push(change);
    fault(`update-firehose ${name}: someone else sets ${what} ${f.when === 'now' ? 'now' : 'right before the next UpdateDestination'}${note}`);
  }
}

export function firehoseSummary(world: SimWorld): Record<string, FirehoseStreamSummary> {
  const out: Record<string, FirehoseStreamSummary> = {};
  for (const s of world.firehose.streams.values()) {
    out[s.name] = {
      versionId: s.versionId,
      bufferingHints: { sizeInMBs: s.sizeInMBs, intervalInSeconds: s.intervalInSeconds },
      freshnessSeconds: s.freshnessSeconds,
      delivering: s.lastError === undefined && s.deliveredRecords > 0,
      ...(s.lastError ? { lastError: s.lastError.code } : {}),
      deliveredRecords: s.deliveredRecords,
      lostRecords: s.lostRecords,
      objects: s.objects,
    };
  }
  return out;
}

export function firehoseChecks(x: FirehoseExpectations, actual: Record<string, FirehoseStreamSummary> | undefined): ExpectationCheck[] {
  const out: ExpectationCheck[] = [];
  for (const [name, want] of Object.entries(x ?? {})) {
    const s = actual?.[name];
    const path = `expect.firehose.${name}`;
    if (!s) {
      out.push({ path, expected: 'a simulated stream', actual: 'none', ok: false });
      continue;
    }
    if (want.bufferingHints) {
      const ok = s.bufferingHints.sizeInMBs === want.bufferingHints.sizeInMBs && s.bufferingHints.intervalInSeconds === want.bufferingHints.intervalInSeconds;
      out.push({ path: `${path}.bufferingHints`, expected: want.bufferingHints, actual: s.bufferingHints, ok });
    }
    if (want.delivering !== undefined)
      out.push({ path: `${path}.delivering`, expected: want.delivering, actual: s.lastError ?? s.delivering, ok: s.delivering === want.delivering });
    if (want.maxFreshnessSeconds !== undefined) {
      out.push({
        path: `${path}.maxFreshnessSeconds`,
        expected: `≤ ${want.maxFreshnessSeconds}`,
        actual: s.freshnessSeconds,
        ok: s.freshnessSeconds <= want.maxFreshnessSeconds,
      });
    }
    if (want.lostRecords !== undefined)
      out.push({ path: `${path}.lostRecords`, expected: want.lostRecords, actual: s.lostRecords, ok: s.lostRecords === want.lostRecords });
    if (want.versionId !== undefined)
      out.push({ path: `${path}.versionId`, expected: want.versionId, actual: s.versionId, ok: s.versionId === want.versionId });
  }
  return out;
}
