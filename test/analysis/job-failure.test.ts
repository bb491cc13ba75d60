import { describe, expect, it } from 'vitest';
import { classifyFailure, memoryGiB, recommendMemory, sameFailure } from '../../lambdas/analysis/job-failure';
import { DEFAULT_NON_RESTARTABLE } from '../../lambdas/playbooks/job-failed/manifest';

const classify = (t: string | undefined) => classifyFailure(t, DEFAULT_NON_RESTARTABLE);
const driver = (params: string) => ({ sparkSubmit: { entryPoint: 's3://b/job.py', sparkSubmitParameters: params } });

describe('Module: analysis/job-failure', () => {
  describe('Function: classifyFailure', () => {
    it.each([
      [
        'ExecutorLostFailure (executor 7 exited caused by one of the running tasks) Reason: Container from a bad node exited with code 137',
        'transient',
        'lost-node',
      ],
      ['Insufficient capacity in the Availability Zone for the requested workers', 'transient', 'capacity'],
      [
        'com.amazonaws.services.s3.model.AmazonS3Exception: Please reduce your request rate. (Service: Amazon S3; Status Code: 503; Error Code: SlowDown)',
        'transient',
        'throttling',
      ],
      [
        'org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition orders.raw-2 could be determined',
        'transient',
        'network-timeout',
      ],
      ['java.lang.OutOfMemoryError: Java heap space at org.apache.spark.sql.execution', 'memory', 'out-of-memory'],
      ['Entry point s3://b/code/main.py not found: NoSuchKey: The specified key does not exist.', 'persistent', 'NoSuchKey'],
      [
        'org.apache.spark.SparkException: Task failed while writing rows: java.lang.NullPointerException at OrdersParser.parse',
        'unknown',
        'java.lang.NullPointerException',
      ],
      [
        'org.apache.spark.sql.streaming.StreamingQueryException: Query failed\nCaused by: org.apache.spark.SparkException: stage failure\nCaused by: java.lang.IllegalStateException: bad offset',
        'unknown',
        'java.lang.IllegalStateException',
      ],
      ['org.apache.spark.SparkException: Job aborted due to stage failure', 'unknown', 'org.apache.spark.SparkException'],
      ['Query terminated for no stated reason', 'unknown', 'unclassified'],
    ])('classifies %s', (text, category, label) => {
      expect(classify(text)).toMatchObject({ category, label });
    });

    it('puts a cause a restart cannot fix before memory and transient words, and tells driver from executor memory', () => {
      expect(classify('AccessDenied while ExecutorLostFailure').category).toBe('persistent');
      expect(classify('Driver stacktrace: java.lang.OutOfMemoryError: GC overhead limit exceeded in the driver')).toMatchObject({
        category: 'memory',
        memoryOf: 'driver',
      });
      expect(classify('java.lang.OutOfMemoryError: Java heap space on executor 3')).toMatchObject({ memoryOf: 'executor' });
      expect(classify(undefined)).toEqual({ category: 'unknown', label: 'no failure text' });
    });

    it('calls two failures the same only with the same category and label', () => {
      expect(sameFailure(classify('java.lang.OutOfMemoryError'), classify('GC overhead limit exceeded'))).toBe(true);
      expect(sameFailure(classify('java.lang.IllegalStateException: x'), classify('java.lang.NullPointerException: y'))).toBe(false);
      // Two different causes wrapped in the same SparkException are not the same failure.
      expect(
        sameFailure(
          classify('org.apache.spark.SparkException: a: java.lang.IllegalStateException'),
          classify('org.apache.spark.SparkException: b: java.lang.NullPointerException'),
        ),
      ).toBe(false);
    });
  });

  describe('Function: memoryGiB', () => {
    it.each([
      ['16g', 16],
      ['16G', 16],
      ['16384m', 16],
      ['2048', 2],
      ['1t', 1024],
      ['lots', undefined],
    ])('reads %s as %s GiB', (v, gib) => expect(memoryGiB(v)).toBe(gib));
  });

  describe('Function: recommendMemory', () => {
    const bound = { maxExecutorGiB: 30, maxDriverGiB: 20, factor: 1.5 };

    it('raises the memory that ran out by the factor, rounded up, changing only that setting', () => {
      const r = recommendMemory(driver('--conf spark.executor.memory=16g --conf spark.executor.cores=4'), undefined, 'executor', bound);
      expect(r).toMatchObject({ setting: 'spark.executor.memory', currentGiB: 16, recommendedGiB: 24 });
      expect(r.sparkSubmitParameters).toBe('--conf spark.executor.memory=24g --conf spark.executor.cores=4');
    });

    it('stops at the bound, and refuses when already at it', () => {
      expect(recommendMemory(driver('--conf spark.executor.memory=24g'), undefined, 'executor', bound)).toMatchObject({ recommendedGiB: 30 });
      const at = recommendMemory(driver('--conf spark.executor.memory=30g'), undefined, 'executor', bound);
      expect(at.sparkSubmitParameters).toBeUndefined();
      expect(at.blocked).toContain('at the bound of 30 GiB');
      expect(recommendMemory(driver('--conf spark.driver.memory=16g'), undefined, 'driver', bound)).toMatchObject({
        setting: 'spark.driver.memory',
        recommendedGiB: 20,
      });
    });

    it('cannot raise a memory the run does not set, and points at spark-defaults when it is set there', () => {
      expect(recommendMemory(driver(''), undefined, 'executor', bound).blocked).toContain('does not set spark.executor.memory');
      const fromDefaults = recommendMemory(
        driver(''),
        { applicationConfiguration: [{ classification: 'spark-defaults', properties: { 'spark.executor.memory': '8g' } }] },
        'executor',
        bound,
      );
      expect(fromDefaults).toMatchObject({ currentGiB: 8, recommendedGiB: 12 });
      expect(fromDefaults.blocked).toContain('spark-defaults');
    });

    it('recommends × 1.5 without a bound (for a person)', () => {
      expect(recommendMemory(driver('--conf spark.executor.memory=10g'), undefined, 'executor', undefined)).toMatchObject({ recommendedGiB: 15 });
    });
  });
});
