import { sparkSetting, withSubmitConf, type SparkConfigurationOverrides, type SparkJobDriver } from './spark-conf';

/**
 * What a Spark job's failure text says about retrying it. Pure.
 *
 * - transient: the platform failed under the job (a lost node, no capacity, an Availability
 *   Zone, throttling, a network timeout): another attempt may well succeed;
 * - memory: the driver or an executor ran out of memory: the same attempt fails the same way
 *   until the job gets more memory;
 * - persistent: a cause a restart cannot fix (permissions, a missing entry point or object, bad
 *   configuration): the configurable "not restartable" patterns;
 * - unknown: anything else, labelled by its cause (the last `Caused by:`, else the first exception
 *   Spark did not merely wrap it in), so that attempts failing with the same cause count as the
 *   same failure and different causes behind one SparkException do not.
 */

export type FailureCategory = 'transient' | 'memory' | 'persistent' | 'unknown';

export interface FailureClass {
  category: FailureCategory;
  /** `lost-node`, `capacity`, `availability-zone`, `throttling`, `network-timeout`, `out-of-memory`, the persistent pattern, or the exception class. */
  label: string;
  /** Which memory ran out, when the text says. */
  memoryOf?: 'driver' | 'executor';
}

const TRANSIENT: readonly [string, RegExp][] = [
  ['lost-node', /ExecutorLostFailure|Container from a bad node|node (was )?(lost|decommissioned)|Lost executor|Worker (was )?(lost|terminated)/i],
  ['capacity', /insufficient capacity|InsufficientCapacity|capacity (is )?(not )?(currently )?unavailable|not enough capacity/i],
  ['availability-zone', /Availability Zone|\bAZ\b.{0,40}(unavailable|impaired|outage|failure)/i],
  ['throttling', /ThrottlingException|Throttl(ed|ing)|Rate exceeded|SlowDown|TooManyRequests|Status Code: 429/i],
  ['network-timeout', /TimeoutException|timed out|Connection (reset|refused)|UnknownHostException|SocketException/i],
];

const MEMORY =
  /OutOfMemoryError|Java heap space|GC overhead limit exceeded|exceeding memory limits|Container killed .{0,80}memory|OOMKilled|Cannot allocate memory|Not enough memory to build and broadcast/i;

const EXCEPTION = /\b((?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))\b/g;

/** Exceptions Spark and PySpark wrap the real cause in: naming one says nothing about the failure. */
const WRAPPERS = new Set([
  'org.apache.spark.SparkException',
  'org.apache.spark.sql.streaming.StreamingQueryException',
  'pyspark.errors.exceptions.captured.StreamingQueryException',
  'py4j.protocol.Py4JJavaError',
]);

/** The failure's cause: the last `Caused by:`, else the first exception that is not a wrapper, else the first. */
function causeOf(text: string): string | undefined {
  const causes = [...text.matchAll(/Caused by:\s*((?:[a-z_][\w$]*\.)+[A-Z][\w$]*)/g)];
  if (causes.length > 0) return causes[causes.length - 1]![1];
  const named = [...text.matchAll(EXCEPTION)].map((m) => m[1]!);
  return named.find((n) => !WRAPPERS.has(n)) ?? named[0];
}

export function classifyFailure(text: string | undefined, nonRestartablePatterns: readonly string[]): FailureClass {
  if (!text) return { category: 'unknown', label: 'no failure text' };
  const persistent = nonRestartablePatterns.find((p) => new RegExp(p, 'i').test(text));
  if (persistent) return { category: 'persistent', label: persistent };
  if (MEMORY.test(text)) {
    const driver = /\bdriver\b/i.test(text) && !/\bexecutor\b/i.test(text);
    return { category: 'memory', label: 'out-of-memory', memoryOf: driver ? 'driver' : 'executor' };
  }
  const t = TRANSIENT.find(([, re]) => re.test(text));
  if (t) return { category: 'transient', label: t[0] };
  return { category: 'unknown', label: causeOf(text) ?? 'unclassified' };
}

export const sameFailure = (a: FailureClass, b: FailureClass): boolean => a.category === b.category && a.label === b.label;

// ---------------------------------------------------------------------------------------------
// Memory

export interface MemoryBound {
  /** Largest spark.executor.memory streamfix may set, in GiB. */
  maxExecutorGiB: number;
  /** Largest spark.driver.memory streamfix may set, in GiB. */
  maxDriverGiB: number;
  /** Each step multiplies the memory by this much (rounded up to a whole GiB). */
  factor: number;
}

export interface MemoryRecommendation {
  setting: 'spark.executor.memory' | 'spark.driver.memory';
  /** Now, as the run has it (GiB); undefined when the run does not set it (EMR's default applies). */
  currentGiB?: number;
  recommendedGiB?: number;
  /** The new sparkSubmitParameters (the old ones with only this setting changed), when a value is known. */
  sparkSubmitParameters?: string;
  /** Why no automatic change is possible, when it is not. */
  blocked?: string;
}

/** `16g`, `16384m`, `16G` → GiB (undefined when unreadable). */
export function memoryGiB(value: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])?b?\s*$/i.exec(value ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase(); // Spark reads a bare number as MiB
  const perGiB = { k: 1 / (1024 * 1024), m: 1 / 1024, g: 1, t: 1024 }[unit as 'k' | 'm' | 'g' | 't'];
  return n * perGiB;
}

/**
 * More memory for the side that ran out: current × factor, rounded up to a whole GiB, at most
 * the bound. Without a bound, the recommendation is current × 1.5 and is for a person only.
 */
export function recommendMemory(
  driver: SparkJobDriver,
  overrides: SparkConfigurationOverrides | undefined,
  memoryOf: 'driver' | 'executor',
  bound: MemoryBound | undefined,
): MemoryRecommendation {
  const setting = memoryOf === 'driver' ? 'spark.driver.memory' : 'spark.executor.memory';
  const params = driver.sparkSubmit?.sparkSubmitParameters;
  const now = sparkSetting(params, overrides, setting);
  const currentGiB = memoryGiB(now.value);
  if (currentGiB === undefined) return { setting, blocked: `the run does not set ${setting} (EMR Serverless's default applies): set it explicitly first` };
  const max = bound ? (memoryOf === 'driver' ? bound.maxDriverGiB : bound.maxExecutorGiB) : undefined;
  const wanted = Math.ceil(currentGiB * (bound?.factor ?? 1.5));
  const recommendedGiB = max === undefined ? wanted : Math.min(wanted, max);
  const base = { setting, currentGiB, recommendedGiB } as const;
  if (recommendedGiB <= currentGiB) return { ...base, blocked: `${setting} is already ${currentGiB} GiB, at the bound of ${max} GiB` };
  if (now.from === 'spark-defaults') return { ...base, blocked: `${setting} comes from the spark-defaults classification: change it there` };
  return { ...base, sparkSubmitParameters: withSubmitConf(params, setting, `${recommendedGiB}g`) };
}
