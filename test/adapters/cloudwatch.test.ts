import {
  CloudWatchClient,
  CloudWatchServiceException,
  GetMetricDataCommand,
  ListMetricsCommand,
  type GetMetricDataCommandOutput,
  type ListMetricsCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAdapter, type MetricQuery } from '../../lambdas/adapters/cloudwatch';
import { AwsRequestError, TransientAwsError } from '../../lambdas/core/errors';
import { pages, recordedError, reply } from './aws-fixtures';

const SVC = 'cloudwatch';
const START = Date.UTC(2025, 2, 14, 9, 30);
const END = Date.UTC(2025, 2, 14, 10, 0);
const minute = (m: number) => Date.UTC(2025, 2, 14, 9, m);

const cw = mockClient(CloudWatchClient);
const adapter = new CloudWatchAdapter(new CloudWatchClient({ region: 'eu-west-1' }));
const err = (name: string) => recordedError(CloudWatchServiceException, SVC, name);

const q = (id: string, metricName: string, stat: string): MetricQuery => ({
  id,
  namespace: 'AWS/Firehose',
  metricName,
  dimensions: { DeliveryStreamName: 'order-firehose' },
  stat,
  periodSeconds: 60,
});
const queries = [
  q('freshness', 'DeliveryToS3.DataFreshness', 'Maximum'),
  q('success', 'DeliveryToS3.Success', 'Average'),
  q('throttled', 'ThrottledRecords', 'Sum'),
  q('bytes', 'IncomingBytes', 'Sum'),
];

beforeEach(() => {
  cw.reset();
});

afterAll(() => {
  cw.restore();
});

describe('Class: CloudWatchAdapter', () => {
  describe('Method: getMetricData', () => {
    it('merges the pages of each query into one series, oldest first', async () => {
      // Prepare
      const [first, second] = pages<GetMetricDataCommandOutput>(SVC, 'GetMetricData');
      cw.on(GetMetricDataCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const out = await adapter.getMetricData(queries, START, END);

      // Assess
      expect(out.freshness).toEqual({ timestampsMs: [50, 51, 52, 53, 54].map(minute), values: [1440, 1500, 1560, 1620, 1680] });
      expect(out.success).toEqual({ timestampsMs: [50, 51, 52, 53, 54].map(minute), values: [0, 0, 0, 0, 0.5] });
      expect(out.throttled).toEqual({ timestampsMs: [], values: [] });
      // A query the service never mentioned still gets its (empty) series.
      expect(out.bytes).toEqual({ timestampsMs: [], values: [] });
      const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
      expect(calls[1]?.NextToken).toBe(first!.NextToken);
      expect(calls[0]).toMatchObject({ StartTime: new Date(START), EndTime: new Date(END), ScanBy: 'TimestampAscending' });
      expect(calls[0]?.MetricDataQueries?.[0]).toEqual({
        Id: 'freshness',
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Firehose',
            MetricName: 'DeliveryToS3.DataFreshness',
            Dimensions: [{ Name: 'DeliveryStreamName', Value: 'order-firehose' }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      });
    });

    it('sorts points a page returns newest first', async () => {
      // Prepare
      cw.on(GetMetricDataCommand).resolves({
        $metadata: {},
        MetricDataResults: [{ Id: 'freshness', Timestamps: [new Date(minute(54)), new Date(minute(50))], Values: [9, 1], StatusCode: 'Complete' }],
      });

      // Act
      const out = await adapter.getMetricData([queries[0]!], START, END);

      // Assess
      expect(out.freshness).toEqual({ timestampsMs: [minute(50), minute(54)], values: [1, 9] });
    });

    it('sends at most 500 queries per request', async () => {
      // Prepare
      cw.on(GetMetricDataCommand).resolves({ $metadata: {}, MetricDataResults: [] });
      const many = Array.from({ length: 501 }, (_, i) => q(`m${i}`, 'IncomingRecords', 'Sum'));

      // Act
      const out = await adapter.getMetricData(many, START, END);

      // Assess
      expect(cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.length)).toEqual([500, 1]);
      expect(Object.keys(out)).toHaveLength(501);
    });

    it('throws instead of returning an empty series for a query CloudWatch refused', async () => {
      // Prepare
      cw.on(GetMetricDataCommand).resolves(reply<GetMetricDataCommandOutput>(SVC, 'GetMetricData-forbidden'));

      // Act / Assess
      await expect(adapter.getMetricData([queries[0]!], START, END)).rejects.toMatchObject({ name: 'AwsRequestError', code: 'Forbidden' });
    });

    it('throws a TransientAwsError for a query CloudWatch failed internally', async () => {
      // Prepare
      cw.on(GetMetricDataCommand).resolves({
        $metadata: {},
        MetricDataResults: [{ Id: 'freshness', Timestamps: [], Values: [], StatusCode: 'InternalError' }],
      });

      // Act / Assess
      await expect(adapter.getMetricData([queries[0]!], START, END)).rejects.toBeInstanceOf(TransientAwsError);
    });

    it.each([
      ['InvalidParameterValueException', AwsRequestError],
      ['InvalidNextToken', AwsRequestError],
      ['Throttling', TransientAwsError],
      ['InternalServiceFault', TransientAwsError],
    ])('maps %s to %s', async (name, type) => {
      // Prepare
      cw.on(GetMetricDataCommand).rejects(err(name));

      // Act / Assess
      await expect(adapter.getMetricData(queries, START, END)).rejects.toBeInstanceOf(type);
    });
  });

  describe('Method: listMetrics', () => {
    it('follows NextToken and maps the dimensions to a record', async () => {
      // Prepare
      const [first, second] = pages<ListMetricsCommandOutput>(SVC, 'ListMetrics');
      cw.on(ListMetricsCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const out = await adapter.listMetrics('AWS/Firehose', 'DeliveryToS3.DataFreshness', {});

      // Assess
      expect(out.map((m) => m.dimensions.DeliveryStreamName)).toEqual(['order-firehose', 'payments-firehose', 'clicks-firehose']);
      expect(out[0]).toEqual({ namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.DataFreshness', dimensions: { DeliveryStreamName: 'order-firehose' } });
      expect(cw.commandCalls(ListMetricsCommand)[1]?.args[0].input.NextToken).toBe(first!.NextToken);
    });

    it('returns at most `max` metrics even when a page holds more', async () => {
      // Prepare
      const [first, second] = pages<ListMetricsCommandOutput>(SVC, 'ListMetrics');
      cw.on(ListMetricsCommand).resolvesOnce(first!).resolvesOnce(second!);

      // Act
      const out = await adapter.listMetrics('AWS/Firehose', 'DeliveryToS3.DataFreshness', { DeliveryStreamName: 'order-firehose' }, 1);

      // Assess
      expect(out).toHaveLength(1);
      expect(cw.commandCalls(ListMetricsCommand)).toHaveLength(1);
      expect(cw.commandCalls(ListMetricsCommand)[0]?.args[0].input.Dimensions).toEqual([{ Name: 'DeliveryStreamName', Value: 'order-firehose' }]);
    });
  });
});
