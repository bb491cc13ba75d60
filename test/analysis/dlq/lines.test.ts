import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGzipKey, readLines, type Line } from '../../../lambdas/analysis/dlq';

async function* chunks(buf: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < buf.length) {
    const n = Math.max(1, sizes[i++ % Math.max(1, sizes.length)] ?? buf.length);
    yield buf.subarray(at, at + n);
    at += n;
  }
}

async function collect(it: AsyncIterable<Line>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('Function: readLines', () => {
  it('yields the same lines however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\n') && !s.includes('\r')),
          { maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (lines, sizes, trailingNewline) => {
          // Prepare
          const text = lines.join('\n') + (trailingNewline ? '\n' : '');
          // Act
          const got = await collect(readLines(chunks(Buffer.from(text, 'utf8'), sizes)));
          // Assess: blank lines are numbered but not yielded
          const expected = lines.map((t, i) => ({ t, n: i + 1 })).filter((x) => x.t !== '');
          expect(got.map((l) => [l.lineNo, l.text])).toEqual(expected.map((x) => [x.n, x.t]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits multi-byte characters across chunks without damage and reports byte offsets', async () => {
    const text = 'añ€😀\r\nsecond\n\nfourth';
    const got = await collect(readLines(chunks(Buffer.from(text), [1])));
    expect(got.map((l) => l.text)).toEqual(['añ€😀', 'second', 'fourth']);
    expect(got.map((l) => l.lineNo)).toEqual([1, 2, 4]);
    const buf = Buffer.from(text);
    expect(got[1]!.offset).toBe(buf.indexOf('second'));
    expect(got[1]!.nextOffset).toBe(buf.indexOf('second') + 'second\n'.length);
    expect(got[2]!.nextOffset).toBe(buf.length);
  });

  it('skips an oversized line without holding it, and goes on with the next', async () => {
    const big = 'x'.repeat(5_000);
    const text = `a\n${big}\nb\n${big}`;
    const got = await collect(readLines(chunks(Buffer.from(text), [100]), { maxLineBytes: 1_000 }));
    expect(got.map((l) => [l.lineNo, l.text ?? 'OVERSIZED'])).toEqual([
      [1, 'a'],
      [2, 'OVERSIZED'],
      [3, 'b'],
      [4, 'OVERSIZED'],
    ]);
  });

  it('numbers lines from where a ranged read starts', async () => {
    const got = await collect(readLines(chunks(Buffer.from('c\nd\n'), [3]), { firstLineNo: 7, firstOffset: 100 }));
    expect(got.map((l) => [l.lineNo, l.offset, l.nextOffset])).toEqual([
      [7, 100, 102],
      [8, 102, 104],
    ]);
  });

  it('decompresses gzip as a stream, including several members', async () => {
    const gz = Buffer.concat([gzipSync('one\ntwo\n'), gzipSync('three\n')]);
    let sourceBytes = 0;
    const got = await collect(readLines(chunks(gz, [7]), { gzip: true, onSourceBytes: (n) => (sourceBytes += n) }));
    expect(got.map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect(sourceBytes).toBe(gz.length);
  });

  it('fails on corrupt gzip instead of yielding garbage', async () => {
    await expect(collect(readLines(chunks(Buffer.from('not gzip at all'), [4]), { gzip: true }))).rejects.toThrow();
  });

  it('stops pulling the source when the consumer leaves early', async () => {
    let pulled = 0;
    let returned = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 1_000; i++) {
          pulled++;
          yield Buffer.from(`line ${i}\n`);
        }
      } finally {
        returned = true;
      }
    }
    for await (const l of readLines(source())) if (l.lineNo === 3) break;
    expect(pulled).toBeLessThan(10);
    expect(returned).toBe(true);
  });

  it('stops pulling a gzip source too when the consumer leaves early', async () => {
    const gz = gzipSync(Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n'));
    let pulled = 0;
    let returned = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let at = 0; at < gz.length; at += 1_024) {
          pulled++;
          yield gz.subarray(at, at + 1_024);
        }
      } finally {
        returned = true;
      }
    }
    for await (const l of readLines(source(), { gzip: true })) if (l.lineNo === 3) break;
    await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThan(Math.ceil(gz.length / 1_024) / 2);
    expect(returned).toBe(true);
  });

  it('tells gzip objects by their key', () => {
    expect(isGzipKey('dlq/2026/11/22/10/part-1.jsonl.gz')).toBe(true);
    expect(isGzipKey('dlq/2026/11/22/10/part-1.jsonl')).toBe(false);
  });
});
