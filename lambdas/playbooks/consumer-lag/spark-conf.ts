import type { ConfigurationOverrides, JobDriver } from '../../adapters/emr-serverless';

/**
 * The executor settings of a Spark job run on EMR Serverless, read from where EMR takes them:
 * `--conf key=value` in `sparkSubmitParameters` first, then the `spark-defaults`
 * classification of `configurationOverrides`, then EMR Serverless's own defaults
 * (dynamic allocation on, `maxExecutors` infinity from release 6.10, 4 cores per executor).
 */

export const EXECUTOR_INSTANCES = 'spark.executor.instances';
export const MAX_EXECUTORS = 'spark.dynamicAllocation.maxExecutors';
const DYNAMIC_ALLOCATION = 'spark.dynamicAllocation.enabled';
const EXECUTOR_CORES = 'spark.executor.cores';
const DEFAULT_EXECUTOR_CORES = 4;

/** The setting that caps how many executors the job gets: what scaling changes. */
export type ExecutorSetting = typeof EXECUTOR_INSTANCES | typeof MAX_EXECUTORS;

export interface ExecutorSettings {
  dynamicAllocation: boolean;
  /** The capping setting: maxExecutors with dynamic allocation, executor.instances without. */
  setting: ExecutorSetting;
  /** Its value; undefined when unset (unbounded with dynamic allocation, unknown without). */
  executors?: number;
  coresPerExecutor: number;
  /** Where `executors` was read: the submit parameters, spark-defaults, or nowhere. */
  from: 'sparkSubmitParameters' | 'spark-defaults' | 'unset';
}

const CONF = /(--conf[=\s]+)([^\s=]+)=(\S*)/g;

/** Every `--conf key=value` of a sparkSubmitParameters string; the last occurrence wins, as in spark-submit. */
export function parseSubmitConf(params: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (params ?? '').matchAll(CONF)) out.set(m[2]!, m[3]!.replace(/^["']|["']$/g, ''));
  return out;
}

function sparkDefaults(overrides: ConfigurationOverrides | undefined): Record<string, string> {
  const props: Record<string, string> = {};
  for (const c of overrides?.applicationConfiguration ?? []) {
    if (c.classification === 'spark-defaults') Object.assign(props, c.properties ?? {});
  }
  return props;
}

const positiveInt = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
};

export function readExecutorSettings(driver: JobDriver, overrides?: ConfigurationOverrides): ExecutorSettings {
  const submit = parseSubmitConf(driver.sparkSubmit?.sparkSubmitParameters);
  const defaults = sparkDefaults(overrides);
  const get = (k: string): { value?: string; from: ExecutorSettings['from'] } =>
    submit.has(k) ? { value: submit.get(k)!, from: 'sparkSubmitParameters' } : k in defaults ? { value: defaults[k]!, from: 'spark-defaults' } : { from: 'unset' };
  const dynamicAllocation = (get(DYNAMIC_ALLOCATION).value ?? 'true').trim().toLowerCase() !== 'false';
  const setting: ExecutorSetting = dynamicAllocation ? MAX_EXECUTORS : EXECUTOR_INSTANCES;
  const v = get(setting);
  const executors = positiveInt(v.value);
  return {
    dynamicAllocation,
    setting,
    ...(executors !== undefined ? { executors } : {}),
    coresPerExecutor: positiveInt(get(EXECUTOR_CORES).value) ?? DEFAULT_EXECUTOR_CORES,
    from: executors === undefined ? 'unset' : v.from,
  };
}

/**
 * `params` with `key` set to `value`: every existing `--conf key=…` is rewritten in place (the
 * rest of the string is kept byte for byte), or one `--conf key=value` is appended.
 */
export function withSubmitConf(params: string | undefined, key: string, value: string): string {
  const text = params ?? '';
  let found = false;
  const replaced = text.replace(CONF, (whole, prefix: string, k: string) => {
    if (k !== key) return whole;
    found = true;
    return `${prefix}${k}=${value}`;
  });
  if (found) return replaced;
  return text.trim() === '' ? `--conf ${key}=${value}` : `${text.replace(/\s+$/, '')} --conf ${key}=${value}`;
}
