import { describe, expect, it } from 'vitest';
import {
  formatOffsetsFile,
  kafkaOffsetsOf,
  parseCommitFile,
  parseMetadataFile,
  parseOffsetsFile,
  parseVersionLine,
} from '../../../lambdas/analysis/checkpoint/spark-files';

const MD = '{"batchWatermarkMs":0,"batchTimestampMs":1763805600000,"conf":{"spark.sql.shuffle.partitions":"200"}}';

describe('Function: parseOffsetsFile', () => {
  it('reads a v1 file: version, batch metadata and one offset per source, in source order', () => {
    // Act
    const r = parseOffsetsFile(`v1\n${MD}\n{"orders.raw":{"0":1200,"1":2300}}\n-`);
    // Assess
    expect(r).toEqual({
      ok: true,
      value: {
        version: 1,
        batchWatermarkMs: 0,
        batchTimestampMs: 1763805600000,
        conf: { 'spark.sql.shuffle.partitions': '200' },
        sources: [
          { sourceId: '0', void: false, json: '{"orders.raw":{"0":1200,"1":2300}}', kafka: { 'orders.raw': { '0': 1200, '1': 2300 } } },
          { sourceId: '1', void: true },
        ],
      },
    });
  });

  it('reads a v2 file, whose sources are named "<sourceId>:<offset>"', () => {
    const r = parseOffsetsFile(`v2\n${MD}\norders:{"orders.raw":{"0":7}}\nclicks:-`);
    expect(r.ok && r.value.sources).toEqual([
      { sourceId: 'orders', void: false, json: '{"orders.raw":{"0":7}}', kafka: { 'orders.raw': { '0': 7 } } },
      { sourceId: 'clicks', void: true },
    ]);
  });

  it('keeps a non-Kafka offset (file source) as JSON without Kafka offsets', () => {
    const r = parseOffsetsFile(`v1\n${MD}\n{"logOffset":42}`);
    expect(r.ok && r.value.sources[0]).toEqual({ sourceId: '0', void: false, json: '{"logOffset":42}' });
  });

  it.each([
    ['', 'empty', 'Incomplete log file'],
    ['v1', 'malformed', 'no batch metadata'],
    [`x1\n${MD}\n{}`, 'malformed', 'Log file was malformed'],
    [`v0\n${MD}\n{}`, 'malformed', 'Log file was malformed'],
    [`v3\n${MD}\n{}`, 'unsupported-version', 'maximum supported log version is v2, but encountered v3'],
    [`v1\n${MD}\n{"orders.raw":{"0":12`, 'malformed', 'not JSON'],
    [`v1\n{"batchWatermarkMs":0,"batchTim`, 'malformed', 'not a JSON object'],
    [`v1\n${MD}\n`, 'malformed', 'no source offsets'],
    [`v2\n\n0:{}`, 'malformed', 'VERSION_2 offset log requires metadata'],
    [`v2\n${MD}\n{"orders.raw":{"0":1}}`, 'malformed', 'Invalid OffsetMap format'],
  ])('refuses %j as %s, with the reason Spark gives', (text, fault, message) => {
    const r = parseOffsetsFile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.fault).toBe(fault);
      expect(r.message).toContain(message);
    }
  });

  it("refuses v2 when the job's Spark reads only v1", () => {
    expect(parseOffsetsFile(`v2\n${MD}\n0:{"t":{"0":1}}`, 1)).toMatchObject({ ok: false, fault: 'unsupported-version', version: 2 });
  });

  it('reads back what formatOffsetsFile writes, in both versions', () => {
    for (const version of [1, 2] as const) {
      const text = formatOffsetsFile({ version, batchTimestampMs: 5, sources: [{ t: { '0': 1, '1': 2 } }, null] });
      const r = parseOffsetsFile(text);
      expect(r.ok && r.value.sources.map((s) => s.kafka ?? null)).toEqual([{ t: { '0': 1, '1': 2 } }, null]);
    }
  });
});

describe('Function: parseCommitFile', () => {
  it('reads v1 and v2 (with state unique ids) commits', () => {
    expect(parseCommitFile('v1\n{"nextBatchWatermarkMs":0}')).toEqual({ ok: true, value: { version: 1, nextBatchWatermarkMs: 0 } });
    expect(parseCommitFile('v2\n{"nextBatchWatermarkMs":5,"stateUniqueIds":{"0":[["a"]]}}')).toEqual({
      ok: true,
      value: { version: 2, nextBatchWatermarkMs: 5 },
    });
    expect(parseCommitFile('v1')).toEqual({ ok: true, value: { version: 1 } });
  });

  it('refuses an empty, unversioned or newer commit', () => {
    expect(parseCommitFile('')).toMatchObject({ ok: false, fault: 'empty', message: expect.stringContaining('Incomplete log file in the offset commit log') });
    expect(parseCommitFile('{"nextBatchWatermarkMs":0}')).toMatchObject({ ok: false, fault: 'malformed' });
    expect(parseCommitFile('v9\n{}')).toMatchObject({ ok: false, fault: 'unsupported-version' });
  });
});

describe('Function: parseMetadataFile / parseVersionLine / kafkaOffsetsOf', () => {
  it('reads the query id and refuses a file without one', () => {
    expect(parseMetadataFile('{"id":"3b1f9c8e"}')).toEqual({ ok: true, value: { id: '3b1f9c8e' } });
    expect(parseMetadataFile('')).toMatchObject({ ok: false, fault: 'empty' });
    expect(parseMetadataFile('{"id":')).toMatchObject({ ok: false, fault: 'malformed' });
  });

  it('accepts v1 up to the maximum and nothing else', () => {
    expect(parseVersionLine('v1', 1)).toEqual({ ok: true, value: 1 });
    expect(parseVersionLine(' v2 ', 2)).toEqual({ ok: true, value: 2 });
    expect(parseVersionLine('v2', 1)).toMatchObject({ ok: false, fault: 'unsupported-version' });
    expect(parseVersionLine(undefined, 1)).toMatchObject({ ok: false, fault: 'malformed' });
  });

  it('recognises only {"topic":{"partition":integer}}', () => {
    expect(kafkaOffsetsOf({ t: { '0': 1 } })).toEqual({ t: { '0': 1 } });
    expect(kafkaOffsetsOf({ t: { x: 1 } })).toBeUndefined();
    expect(kafkaOffsetsOf({ t: { '0': 1.5 } })).toBeUndefined();
    expect(kafkaOffsetsOf({})).toBeUndefined();
    expect(kafkaOffsetsOf([1])).toBeUndefined();
  });
});
