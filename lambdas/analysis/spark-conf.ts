/**
 * Spark settings of an EMR Serverless job run, where EMR takes them from: `--conf key=value`
 * in `sparkSubmitParameters` first, then the `spark-defaults` classification of
 * `configurationOverrides` ("Using Spark configurations when you run EMR Serverless jobs").
 * Pure.
 */

/**
 * What these functions read of a job run's `configurationOverrides` (the EMR Serverless
 * ConfigurationOverrides shape; the SDK's type satisfies it).
 */
export interface SparkConfigurationOverrides {
  applicationConfiguration?: readonly { classification?: string | undefined; properties?: Record<string, string> | undefined }[] | undefined;
}

/** What these functions read of a job run's `jobDriver` (the EMR Serverless JobDriver shape). */
export interface SparkJobDriver {
  sparkSubmit?: { sparkSubmitParameters?: string | undefined } | undefined;
}

const CONF = /(--conf[=\s]+)([^\s=]+)=(\S*)/g;

/** Every `--conf key=value` of a sparkSubmitParameters string; the last occurrence wins, as in spark-submit. */
export function parseSubmitConf(params: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (params ?? '').matchAll(CONF)) out.set(m[2]!, m[3]!.replace(/^["']|["']$/g, ''));
  return out;
}

export function sparkDefaults(overrides: SparkConfigurationOverrides | undefined): Record<string, string> {
  const props: Record<string, string> = {};
  for (const c of overrides?.applicationConfiguration ?? []) {
    if (c.classification === 'spark-defaults') Object.assign(props, c.properties ?? {});
  }
  return props;
}

/** A setting as the run has it: the submit parameters first, then spark-defaults. */
export function sparkSetting(
  params: string | undefined,
  overrides: SparkConfigurationOverrides | undefined,
  key: string,
): { value?: string; from: 'sparkSubmitParameters' | 'spark-defaults' | 'unset' } {
  const submit = parseSubmitConf(params);
  if (submit.has(key)) return { value: submit.get(key)!, from: 'sparkSubmitParameters' };
  const defaults = sparkDefaults(overrides);
  return key in defaults ? { value: defaults[key]!, from: 'spark-defaults' } : { from: 'unset' };
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
