import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DrillStuckError, SimClock } from '../../../drills/sim/clock';

const frame = (id: string) => ({ invocationId: id, functionName: 'fn', functionArn: 'arn:fn', startedAtMs: 0, calls: 0 });

describe('Class: SimClock', () => {
  it('runs tasks in time order, then by priority, then in the order they were added', async () => {
    const clock = new SimClock(0);
    const seen: string[] = [];
    clock.at(2_000, 'b', () => void seen.push('b'));
    clock.at(1_000, 'a2', () => void seen.push('a2'));
    clock.at(1_000, 'a3', () => void seen.push('a3'));
    clock.at(1_000, 'a1', () => void seen.push('a1'), 0);
    await clock.runUntil(1_500);
    expect(seen).toEqual(['a1', 'a2', 'a3']);
    expect(clock.now()).toBe(1_500);
    await clock.runUntil(2_000);
    expect(seen).toEqual(['a1', 'a2', 'a3', 'b']);
  });

  it('lets a sleeping invocation see exactly the time it slept, with the world moving meanwhile', async () => {
    const clock = new SimClock(0);
    const log: string[] = [];
    clock.at(5_000, 'world', () => void log.push(`world@${clock.now()}`));
    clock.at(0, 'start', () => {
      void clock.track(frame('i1'), async () => {
        log.push(`start@${clock.now()}`);
        await clock.sleep(7_000);
        log.push(`woke@${clock.now()}`);
      });
    });
    await clock.runUntil(60_000);
    expect(log).toEqual(['start@0', 'world@5000', 'woke@7000']);
  });

  it("waits for an invocation's real I/O before moving time", async () => {
    const clock = new SimClock(0);
    const log: string[] = [];
    clock.at(0, 'start', () => {
      void clock.track(frame('i1'), async () => {
        const end = clock.beginIo();
        await new Promise((r) => setTimeout(r, 30));
        end();
        log.push(`io done@${clock.now()}`);
      });
    });
    clock.at(1, 'later', () => void log.push(`later@${clock.now()}`));
    await clock.runUntil(10);
    expect(log).toEqual(['io done@0', 'later@1']);
  });

  it('throws DrillStuckError naming an invocation that makes no progress', async () => {
    const clock = new SimClock(0, { stuckAfterRealMs: 50 });
    clock.at(0, 'start', () => {
      void clock.track(frame('stuck-1'), () => new Promise<void>(() => undefined));
    });
    const err = await clock.runUntil(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillStuckError);
    expect((err as Error).message).toContain('stuck-1');
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = new SimClock(0);
    const ac = new AbortController();
    const p = clock.sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });

  it('leaves no abort listener behind on the signal after each sleep ends', async () => {
    const clock = new SimClock(0);
    const ac = new AbortController();
    const sleeps = Array.from({ length: 15 }, (_, i) => clock.sleep(1_000 * (i + 1), ac.signal));
    await clock.runUntil(20_000);
    await Promise.all(sleeps);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
