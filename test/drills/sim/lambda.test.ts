import { describe, expect, it } from 'vitest';
import { newWorld } from '../helpers';

describe('Class: SimLambda', () => {
  const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:f';

  it('runs concurrent invocations in separate containers and reuses a container once its invocation ended', async () => {
    // Prepare: each container counts what it served; an invocation sleeps 10 simulated seconds
    const world = newWorld();
    const served: number[][] = [];
    world.lambda.register({
      name: 'f',
      arn: ARN,
      timeoutMs: 300_000,
      container: () => {
        const mine: number[] = [];
        served.push(mine);
        return async (event) => {
          mine.push((event as { n: number }).n);
          await world.clock.sleep(10_000);
        };
      },
    });
    // Act: two at once, then a third after both ended
    world.lambda.invokeAsync(ARN, { n: 1 }, 'test');
    world.lambda.invokeAsync(ARN, { n: 2 }, 'test');
    await world.clock.advance(20_000);
    world.lambda.invokeAsync(ARN, { n: 3 }, 'test');
    await world.clock.advance(20_000);
    // Assess
    expect(served).toHaveLength(2);
    expect(served.flat().sort()).toEqual([1, 2, 3]);
    expect(world.lambda.coldStarts.get('f')).toBe(2);
  });

  it("gives a container that waits on another container's sleep no way to block the clock", async () => {
    // One container's invocation sleeps; another's waits for nothing shared: both end.
    const world = newWorld();
    let ended = 0;
    world.lambda.register({
      name: 'f',
      arn: ARN,
      timeoutMs: 300_000,
      container: () => {
        let cached: Promise<void> | undefined;
        return async () => {
          cached ??= world.clock.sleep(5_000);
          await cached;
          ended++;
        };
      },
    });
    world.lambda.invokeAsync(ARN, {}, 'test');
    world.lambda.invokeAsync(ARN, {}, 'test');
    await world.clock.advance(10_000);
    expect(ended).toBe(2);
  });
});
