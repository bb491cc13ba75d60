import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { LogsAdapter } from '../../lambdas/adapters/logs';
import { AwsRequestError, NotFoundError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError } from './aws-fixtures';

const SVC = 'logs';
const GROUP = '/aws/kinesisfirehose/order-firehose';
const START = Date.UTC(2025, 2, 14, 8, 30);
const END = Date.UTC(2025, 2, 14, 9, 0);

const logs = mockClient(CloudWatchLogsClient);
const adapter = new LogsAdapter(new CloudWatchLogsClient({ region: 'eu-west-1' }));
const err = (name: string) => recordedError(CloudWatchLogsServiceException, SVC, name);

beforeEach(() => {
  logs.reset();
});

afterAll(() => {
  logs.restore();
});

describe('Class: LogsAdapter', () => {
  describe('Method: filterLogEvents', () => {
    it('follows nextToken and returns every event of the stream in order, with epoch-ms timestamps', async () => {
      // Prepare
      const [first, second] = pages<FilterLogEventsCommandOutput>(SVC, 'FilterLogEvents');
      logs.on(FilterLogEventsCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const events = await adapter.filterLogEvents(GROUP, { logStreamNames: ['S3Delivery'], startMs: START, endMs: END, limit: 1_000 });

      // Assess
      const calls = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
      expect(calls).toEqual([
        { logGroupName: GROUP, logStreamNames: ['S3Delivery'], startTime: START, endTime: END, limit: 1_000, nextToken: undefined },
        { logGroupName: GROUP, logStreamNames: ['S3Delivery'], startTime: START, endTime: END, limit: 997, nextToken: first!.nextToken },
      ]);
      expect(events).toHaveLength(5);
      expect(events[0]).toEqual({
        timestampMs: Date.UTC(2025, 2, 14, 8, 32),
        message: expect.stringContaining('"errorCode":"S3.AccessDenied"'),
        logStreamName: 'S3Delivery',
      });
      expect(events.map((e) => e.timestampMs)).toEqual([...events.map((e) => e.timestampMs)].sort((a, b) => a - b));
      expect(events[3]?.message).toContain('S3.KMS.KeyDisabled');
    });

    it('stops paging once the limit is reached, asking each page for what is left', async () => {
      // Prepare
      const [first, second] = pages<FilterLogEventsCommandOutput>(SVC, 'FilterLogEvents');
      logs.on(FilterLogEventsCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const events = await adapter.filterLogEvents(GROUP, { startMs: START, endMs: END, limit: 3 });

      // Assess
      expect(events).toHaveLength(3);
      expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(1);
      expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).not.toHaveProperty('logStreamNames');
    });

    it('keeps the newest events with `newest`: reads every page of the range (oldest first, as the API answers) and keeps the last `limit`', async () => {
      // Prepare
      const [first, second] = pages<FilterLogEventsCommandOutput>(SVC, 'FilterLogEvents');
      logs.on(FilterLogEventsCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const events = await adapter.filterLogEvents(GROUP, { startMs: START, endMs: END, limit: 2, newest: true });

      // Assess
      expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
      const all = [...(first!.events ?? []), ...(second!.events ?? [])].map((e) => e.timestamp);
      expect(events.map((e) => e.timestampMs)).toEqual(all.slice(-2));
    });

    it('asks for nothing without calling the service (the API refuses a limit of 0)', async () => {
      // Act
      const events = await adapter.filterLogEvents(GROUP, { startMs: START, endMs: END, limit: 0 });

      // Assess
      expect(events).toEqual([]);
      expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
    });

    it('passes a filter pattern through', async () => {
      // Prepare
      logs.on(FilterLogEventsCommand).resolves({ $metadata: {}, events: [] });

      // Act
      await adapter.filterLogEvents(GROUP, { startMs: START, endMs: END, filterPattern: '{ $.errorCode = "S3.*" }' });

      // Assess
      expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input.filterPattern).toBe('{ $.errorCode = "S3.*" }');
    });

    it.each([
      ['ResourceNotFoundException', NotFoundError],
      ['AccessDeniedException', AwsRequestError],
      ['InvalidParameterException', AwsRequestError],
      ['ThrottlingException', TransientAwsError],
    ])('maps %s to %s', async (name, type) => {
      // Prepare
      logs.on(FilterLogEventsCommand).rejects(err(name));

      // Act / Assess
      await expect(adapter.filterLogEvents(GROUP, { startMs: START, endMs: END })).rejects.toBeInstanceOf(type);
    });
  });
});
