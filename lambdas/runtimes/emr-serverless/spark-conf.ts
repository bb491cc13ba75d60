import type { ConfigurationOverrides, JobDriver } from '../../adapters/emr-serverless';
import { parseSubmitConf, sparkDefaults } from '../../analysis/spark-conf';

export { parseSubmitConf, withSubmitConf } from '../../analysis/spark-conf';

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

const positiveInt = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
};

export function readExecutorSettings(driver: JobDriver, overrides?: ConfigurationOverrides): ExecutorSettings {
  const submit = parseSubmitConf(driver.sparkSubmit?.sparkSubmitParameters);
  const defaults = sparkDefaults(overrides);
  const get = (k: string): { value?: string; from: ExecutorSettings['from'] } =>
    submit.has(k)
      ? { value: submit.get(k)!, from: 'sparkSubmitParameters' }
      : k in defaults
        ? { value: defaults[k]!, from: 'spark-defaults' }
        : { from: 'unset' };
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
