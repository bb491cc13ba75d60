/**
 * Managed Service for Apache Flink runtimes (`RuntimeEnvironment`: `FLINK-1_20`, `FLINK-2_2`) and
 * what each changes for streamfix. Pure; shared by the config schema, the manifests (alarm metric
 * names), the plans and the simulated platform, so all of them draw the line in the same place.
 *
 * "Metrics and dimensions in Managed Service for Apache Flink"
 * (docs.aws.amazon.com/managed-flink/latest/java/metrics-dimensions.html), "Flink 2.2 metric
 * changes": the `fullRestarts` metric has been removed, use `numRestarts` instead; `uptime` and
 * `downtime` are deprecated (still published) and will be removed in a future release.
 */

export type FlinkVersion = readonly [major: number, minor: number];

const RUNTIME = /^FLINK-(\d+)_(\d+)$/;

/** The first runtime that publishes `numRestarts` instead of `fullRestarts`. */
export const NUM_RESTARTS_VERSION: FlinkVersion = [2, 2];

/** `FLINK-1_20` → [1, 20]; undefined when it is not a Flink runtime environment. */
export function parseFlinkRuntime(runtime: string): FlinkVersion | undefined {
  const m = RUNTIME.exec(runtime);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export const isFlinkRuntime = (runtime: string): boolean => parseFlinkRuntime(runtime) !== undefined;

export function flinkAtLeast(runtime: string, min: FlinkVersion): boolean {
  const v = parseFlinkRuntime(runtime);
  if (!v) return false;
  return v[0] !== min[0] ? v[0] > min[0] : v[1] >= min[1];
}

/** The restart counter the runtime publishes in `AWS/KinesisAnalytics`. */
export function restartsMetric(runtime: string): 'fullRestarts' | 'numRestarts' {
  return flinkAtLeast(runtime, NUM_RESTARTS_VERSION) ? 'numRestarts' : 'fullRestarts';
}
