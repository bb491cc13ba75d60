import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * AWS's own sample events (test/fixtures/aws-samples): each file names the page it comes from
 * (`sourcePage`, `title`) and holds the event exactly as published (`note` says what had to
 * change to make it JSON).
 */
export interface AwsSample {
  sourcePage: string;
  title: string;
  note?: string;
  event: Record<string, unknown>;
}

export function awsSample(service: 'cloudwatch' | 'emr-serverless', name: string): AwsSample {
  const url = new URL(`../fixtures/aws-samples/${service}/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as AwsSample;
}

export const CLOUDWATCH_SAMPLES = [
  'alarm-state-change-metric',
  'alarm-state-change-metric-math',
  'alarm-state-change-anomaly-detection',
  'alarm-state-change-composite-suppressor',
  'alarm-state-change-metrics-insights',
] as const;

export const EMR_SAMPLES = ['job-run-state-change', 'job-run-retry'] as const;

type Shape = string | { [key: string]: Shape } | Shape[];

/** The keys and value types of a JSON value, recursively (arrays by their first element). */
export function shapeOf(v: unknown): Shape {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shapeOf(v[0])];
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, shapeOf(x)]),
    );
  return v === null ? 'null' : typeof v;
}

/** Paths whose keys are names the user chose (metric dimensions): only their values' types are compared. */
const FREE_KEYS = new Set(['detail.configuration.metrics[].metricStat.metric.dimensions']);

/**
 * Where `actual` differs from `expected` in keys or types: keys only one of them has, and keys
 * whose types differ. `optional` lists paths (`detail.previousState`) either side may lack.
 */
export function shapeDiff(expected: unknown, actual: unknown, optional: readonly string[] = [], path = ''): string[] {
  const e = shapeOf(expected);
  const a = shapeOf(actual);
  const out: string[] = [];
  const walk = (x: Shape, y: Shape, p: string) => {
    if (typeof x === 'string' || typeof y === 'string' || Array.isArray(x) || Array.isArray(y)) {
      if (Array.isArray(x) && Array.isArray(y)) {
        if (x.length > 0 && y.length > 0) walk(x[0]!, y[0]!, `${p}[]`);
        return;
      }
      if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${p || '(root)'}: ${JSON.stringify(x)} in the sample, ${JSON.stringify(y)} here`);
      return;
    }
    if (FREE_KEYS.has(p)) {
      const types = (o: { [key: string]: Shape }) => [...new Set(Object.values(o).map((v) => JSON.stringify(v)))].sort();
      if (JSON.stringify(types(x)) !== JSON.stringify(types(y))) out.push(`${p}: values ${types(x).join('|')} in the sample, ${types(y).join('|')} here`);
      return;
    }
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const q = p ? `${p}.${k}` : k;
      if (!(k in y)) {
        if (!optional.includes(q)) out.push(`${q}: in the sample, missing here`);
      } else if (!(k in x)) {
        if (!optional.includes(q)) out.push(`${q}: not in the sample`);
      } else walk(x[k]!, y[k]!, q);
    }
  };
  walk(e, a, path);
  return out;
}
