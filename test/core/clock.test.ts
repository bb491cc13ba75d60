import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../lambdas/core/clock';

describe('systemClock.sleep', () => {
  it('leaves no abort listener behind on the invocation signal after each sleep ends', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 15; i++) await systemClock.sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the signal reason when aborted during the sleep, and at once when already aborted', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('function timeout near'));
    await expect(sleeping).rejects.toThrow('function timeout near');
    await expect(systemClock.sleep(60_000, controller.signal)).rejects.toThrow('function timeout near');
  });
});
