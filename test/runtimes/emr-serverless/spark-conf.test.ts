import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSubmitConf, readExecutorSettings, withSubmitConf } from '../../../lambdas/runtimes/emr-serverless/spark-conf';

const driver = (sparkSubmitParameters?: string) => ({
  sparkSubmit: { entryPoint: 's3://b/job.py', ...(sparkSubmitParameters !== undefined ? { sparkSubmitParameters } : {}) },
});
const defaults = (properties: Record<string, string>) => ({ applicationConfiguration: [{ classification: 'spark-defaults', properties }] });

describe('Function: readExecutorSettings', () => {
  it('reads spark.executor.instances when dynamic allocation is off', () => {
    expect(
      readExecutorSettings(driver('--conf spark.dynamicAllocation.enabled=false --conf spark.executor.instances=6 --conf spark.executor.cores=2')),
    ).toEqual({
      dynamicAllocation: false,
      setting: 'spark.executor.instances',
      executors: 6,
      coresPerExecutor: 2,
      from: 'sparkSubmitParameters',
    });
  });

  it('reads maxExecutors under dynamic allocation, which EMR Serverless enables by default', () => {
    expect(readExecutorSettings(driver('--conf spark.executor.instances=3 --conf spark.dynamicAllocation.maxExecutors=12'))).toMatchObject({
      dynamicAllocation: true,
      setting: 'spark.dynamicAllocation.maxExecutors',
      executors: 12,
      coresPerExecutor: 4,
    });
  });

  it('reports the cap unset (unbounded) when nothing sets it', () => {
    const s = readExecutorSettings(driver());
    expect(s).toMatchObject({ dynamicAllocation: true, setting: 'spark.dynamicAllocation.maxExecutors', from: 'unset' });
    expect(s.executors).toBeUndefined();
    expect(readExecutorSettings(driver('--conf spark.dynamicAllocation.maxExecutors=infinity')).executors).toBeUndefined();
  });

  it('falls back to spark-defaults, and the submit parameters win over them', () => {
    expect(readExecutorSettings(driver(), defaults({ 'spark.dynamicAllocation.maxExecutors': '9' }))).toMatchObject({ executors: 9, from: 'spark-defaults' });
    expect(
      readExecutorSettings(driver('--conf spark.dynamicAllocation.maxExecutors=5'), defaults({ 'spark.dynamicAllocation.maxExecutors': '9' })),
    ).toMatchObject({ executors: 5, from: 'sparkSubmitParameters' });
    expect(readExecutorSettings(driver(), defaults({ 'spark.dynamicAllocation.enabled': 'false', 'spark.executor.instances': '7' }))).toMatchObject({
      setting: 'spark.executor.instances',
      executors: 7,
    });
  });

  it('takes the last occurrence of a repeated --conf, as spark-submit does, and accepts --conf=key=value', () => {
    expect(parseSubmitConf('--conf a=1 --jars x.jar --conf a=2 --conf=b=3').get('a')).toBe('2');
    expect(parseSubmitConf('--conf=b=3').get('b')).toBe('3');
  });
});

describe('Function: withSubmitConf', () => {
  it('rewrites every occurrence in place and keeps the rest byte for byte', () => {
    const p = '--class Main --conf spark.executor.instances=4  --jars s3://b/x.jar --conf=spark.executor.instances=4';
    expect(withSubmitConf(p, 'spark.executor.instances', '8')).toBe(
      '--class Main --conf spark.executor.instances=8  --jars s3://b/x.jar --conf=spark.executor.instances=8',
    );
  });

  it('appends the setting when absent, and writes it alone into empty parameters', () => {
    expect(withSubmitConf('--conf spark.executor.cores=4 ', 'spark.executor.instances', '8')).toBe(
      '--conf spark.executor.cores=4 --conf spark.executor.instances=8',
    );
    expect(withSubmitConf(undefined, 'spark.dynamicAllocation.maxExecutors', '10')).toBe('--conf spark.dynamicAllocation.maxExecutors=10');
  });

  it('does not touch a key that only shares a prefix', () => {
    expect(withSubmitConf('--conf spark.executor.instancesX=1', 'spark.executor.instances', '8')).toBe(
      '--conf spark.executor.instancesX=1 --conf spark.executor.instances=8',
    );
  });

  it('always yields parameters that read back the new value, with every other setting unchanged', () => {
    const key = fc.constantFrom('spark.executor.instances', 'spark.executor.cores', 'spark.dynamicAllocation.maxExecutors', 'spark.sql.shuffle.partitions');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer({ min: 1, max: 500 }))), key, fc.integer({ min: 1, max: 500 }), (confs, k, v) => {
        const before = confs.map(([a, b]) => `--conf ${a}=${b}`).join(' ');
        const after = parseSubmitConf(withSubmitConf(before, k, String(v)));
        const expected = parseSubmitConf(before);
        expected.set(k, String(v));
        expect(after).toEqual(expected);
      }),
    );
  });
});
