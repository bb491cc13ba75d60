import { DescribeDeliveryStreamCommand, FirehoseClient, FirehoseServiceException, UpdateDestinationCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsRequestError } from '../../../lambdas/core/errors';
import {
  replanHints,
  StreamChangedError,
  updateBufferingHintsAction as action,
  type BufferingHintsParams,
} from '../../../lambdas/playbooks/firehose-delivery/act';
import { recordedError } from '../../adapters/aws-fixtures';
import { actionContext, describedAs } from './context';
import { STREAM, pipeline, settingsWith } from './fixtures';

const firehose = mockClient(FirehoseClient);
const conflict = () => recordedError(FirehoseServiceException, 'firehose', 'ConcurrentModificationException');
const DEST = 'destinationId-000000000001';
const bounds = settingsWith().bounds;

const params = (over: Partial<BufferingHintsParams> = {}): BufferingHintsParams => ({
  deliveryStreamName: STREAM,
  destinationId: DEST,
  versionId: '7',
  sizeInMBs: 37,
  intervalInSeconds: 300,
  intent: 'raise',
  previousSizeInMBs: 5,
  previousIntervalInSeconds: 300,
  ...over,
});
const updates = () => firehose.commandCalls(UpdateDestinationCommand).map((c) => c.args[0].input);

beforeEach(() => {
  firehose.reset();
  firehose.on(UpdateDestinationCommand).resolves({ $metadata: {} });
});

afterAll(() => {
  firehose.restore();
});

describe('Action: firehose:UpdateDestination (buffering hints)', () => {
  describe('Method: checkBounds', () => {
    it("accepts the plan's hints within bounds on the configured stream", () => {
      expect(action.checkBounds(params(), { pipeline, settings: settingsWith() })).toEqual([]);
    });

    it('names every broken bound on the actual parameters', () => {
      const v = action.checkBounds(params({ deliveryStreamName: 'other', sizeInMBs: 129, intervalInSeconds: 30 }), { pipeline, settings: settingsWith() });
      expect(v).toEqual(['deliveryStreamName other is not the configured order-firehose', "sizeInMBs 129 is outside Firehose's limits [1, 128]"]);
      expect(action.checkBounds(params({ intervalInSeconds: 30 }), { pipeline, settings: settingsWith() })).toEqual([
        'intervalInSeconds 30 is outside the configured bounds [60, 900]',
      ]);
      expect(action.checkBounds(params({ sizeInMBs: 64 }), { pipeline, settings: settingsWith({ maxSizeInMBs: 32 }) })).toEqual([
        'sizeInMBs 64 is outside the configured bounds [1, 32]',
      ]);
    });
  });

  describe('Method: execute', () => {
    it('updates both hints with the VersionId the plan read', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(describedAs('7', 5, 300));

      // Act
      const out = await action.execute(params(), actionContext());

      // Assess
      expect(updates()).toEqual([
        {
          DeliveryStreamName: STREAM,
          CurrentDeliveryStreamVersionId: '7',
          DestinationId: DEST,
          ExtendedS3DestinationUpdate: { BufferingHints: { SizeInMBs: 37, IntervalInSeconds: 300 } },
        },
      ]);
      expect(out.before).toEqual({ versionId: '7', sizeInMBs: 5, intervalInSeconds: 300 });
      expect(out.after).toEqual({ versionId: '7', sizeInMBs: 37, intervalInSeconds: 300, replanned: false });
    });

    it('does nothing when the stream already has the target hints (a resume after a crash)', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(describedAs('8', 37, 300));

      // Act
      const out = await action.execute(params(), actionContext());

      // Assess
      expect(updates()).toEqual([]);
      expect(out.summary).toContain('already has buffering hints 37 MiB/300 s');
    });

    it('re-reads and re-plans once on a concurrent modification, keeping the other change where it serves', async () => {
      // Prepare: between the read and the update someone set the interval to 120 s (version 8).
      firehose
        .on(DescribeDeliveryStreamCommand)
        .resolvesOnce(describedAs('7', 5, 300))
        .resolves(describedAs('8', 5, 120));
      firehose.on(UpdateDestinationCommand).rejectsOnce(conflict()).resolves({ $metadata: {} });

      // Act
      const out = await action.execute(params(), actionContext());

      // Assess
      expect(updates().map((u) => [u.CurrentDeliveryStreamVersionId, u.ExtendedS3DestinationUpdate?.BufferingHints])).toEqual([
        ['7', { SizeInMBs: 37, IntervalInSeconds: 300 }],
        ['8', { SizeInMBs: 37, IntervalInSeconds: 120 }],
      ]);
      expect(out.after).toMatchObject({ versionId: '8', sizeInMBs: 37, intervalInSeconds: 120, replanned: true });
      expect(out.summary).toContain('re-planned on version 8');
    });

    it('re-plans without a doomed call when the version already changed since the plan', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(describedAs('9', 5, 600));

      // Act
      await action.execute(params(), actionContext());

      // Assess
      expect(updates().map((u) => u.CurrentDeliveryStreamVersionId)).toEqual(['9']);
    });

    it('stops when the other change already did what the plan wanted', async () => {
      // Prepare
      firehose
        .on(DescribeDeliveryStreamCommand)
        .resolvesOnce(describedAs('7', 5, 300))
        .resolves(describedAs('8', 64, 300));
      firehose.on(UpdateDestinationCommand).rejectsOnce(conflict());

      // Act
      const out = await action.execute(params(), actionContext());

      // Assess
      expect(updates()).toHaveLength(1);
      expect(out.summary).toContain('SizeInMBs is already 64');
    });

    it('gives up after one re-plan when the stream changes again', async () => {
      // Prepare
      firehose
        .on(DescribeDeliveryStreamCommand)
        .resolvesOnce(describedAs('7', 5, 300))
        .resolves(describedAs('8', 5, 300));
      firehose.on(UpdateDestinationCommand).rejects(conflict());

      // Act / Assess
      await expect(action.execute(params(), actionContext())).rejects.toBeInstanceOf(StreamChangedError);
      expect(updates()).toHaveLength(2);
    });

    it('gives up at once on a conflict after re-planning on a version that had already changed', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(describedAs('9', 5, 300));
      firehose.on(UpdateDestinationCommand).rejects(conflict());

      // Act / Assess
      await expect(action.execute(params(), actionContext())).rejects.toBeInstanceOf(StreamChangedError);
      expect(updates()).toHaveLength(1);
    });

    it('lets any other refusal through for the engine to escalate', async () => {
      // Prepare
      firehose.on(DescribeDeliveryStreamCommand).resolves(describedAs('7', 5, 300));
      firehose.on(UpdateDestinationCommand).rejects(recordedError(FirehoseServiceException, 'firehose', 'AccessDeniedException'));

      // Act / Assess
      await expect(action.execute(params(), actionContext())).rejects.toBeInstanceOf(AwsRequestError);
    });

    it("refuses a stream that is not the pipeline's", async () => {
      await expect(action.execute(params({ deliveryStreamName: 'payments-firehose' }), actionContext())).rejects.toThrow(
        /refusing to change payments-firehose/,
      );
      expect(firehose.commandCalls(DescribeDeliveryStreamCommand)).toHaveLength(0);
    });
  });

  describe('Function: replanHints', () => {
    it('keeps a raise done by someone else, and their interval when it is within bounds', () => {
      expect(replanHints(params(), { sizeInMBs: 37, intervalInSeconds: 60 }, bounds)).toEqual({ kind: 'done', why: 'SizeInMBs is already 37 (wanted 37)' });
      expect(replanHints(params(), { sizeInMBs: 36, intervalInSeconds: 60 }, bounds)).toEqual({
        kind: 'update',
        hints: { sizeInMBs: 37, intervalInSeconds: 60 },
      });
    });

    it('falls back to the planned hints when the other change left them out of bounds', () => {
      expect(replanHints(params(), { sizeInMBs: 5, intervalInSeconds: 0 }, bounds)).toEqual({
        kind: 'update',
        hints: { sizeInMBs: 37, intervalInSeconds: 300 },
      });
    });

    it('lowers the interval only when nobody lowered it already', () => {
      const p = params({ intent: 'lower-interval', sizeInMBs: 5, intervalInSeconds: 240 });
      expect(replanHints(p, { sizeInMBs: 8, intervalInSeconds: 240 }, bounds).kind).toBe('done');
      expect(replanHints(p, { sizeInMBs: 8, intervalInSeconds: 600 }, bounds)).toEqual({ kind: 'update', hints: { sizeInMBs: 8, intervalInSeconds: 240 } });
    });

    it('refuses hints that break the bounds even as planned', () => {
      expect(() => replanHints(params({ sizeInMBs: 64 }), { sizeInMBs: 5, intervalInSeconds: 300 }, { ...bounds, maxSizeInMBs: 32 })).toThrow(
        /break the bounds/,
      );
    });
  });
});
