import { InvalidNextToken, type ListMetricsInput } from '@aws-sdk/client-cloudwatch';
import type { SimContext } from './context';
import type { MetricStore } from './metrics';

/**
 * CloudWatch `ListMetrics` over the simulated metric store: filters by namespace, metric name
 * and dimensions (a metric matches when it has every filter dimension, with its value when one
 * is given, whatever other dimensions it has), 500 metrics a page, ordered by name then
 * dimensions so pages are stable.
 */

const PAGE = 500;

export function listMetrics(store: MetricStore, ctx: SimContext, i: ListMetricsInput) {
  const offset = i.NextToken ? Number.parseInt(i.NextToken, 10) : 0;
  if (Number.isNaN(offset)) throw ctx.err(InvalidNextToken, 400, 'The service returned an error with Error Code InvalidNextToken');
  const filters = i.Dimensions ?? [];
  const matching = store
    .metrics()
    .filter((m) => (i.Namespace === undefined || m.namespace === i.Namespace) && (i.MetricName === undefined || m.metricName === i.MetricName))
    .filter((m) => filters.every((f) => f.Name !== undefined && f.Name in m.dimensions && (f.Value === undefined || m.dimensions[f.Name] === f.Value)))
    .map((m) => ({ m, key: `${m.namespace}|${m.metricName}|${JSON.stringify(Object.entries(m.dimensions).sort(([a], [b]) => (a < b ? -1 : 1)))}` }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const page = matching.slice(offset, offset + PAGE).map(({ m }) => ({
    Namespace: m.namespace,
    MetricName: m.metricName,
    Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
  }));
  const next = offset + PAGE < matching.length ? String(offset + PAGE) : undefined;
  return { Metrics: page, ...(next ? { NextToken: next } : {}) };
}
