import { TransientAwsError } from '../../core/errors';
import type { Clock } from '../../core/clock';

/**
 * Broker trouble is when the control plane and CloudWatch are busiest: a read or a reboot that
 * failed transiently after the SDK's own retries is tried again after these pauses (on the
 * injected clock) before the playbook gives up and the engine escalates.
 */
export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = [2_000, 5_000];

export async function retryTransient<T>(
  fn: () => Promise<T>,
  clock: Pick<Clock, 'sleep'>,
  signal?: AbortSignal,
  delaysMs = TRANSIENT_RETRY_DELAYS_MS,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof TransientAwsError) || attempt >= delaysMs.length) throw e;
      await clock.sleep(delaysMs[attempt]!, signal);
    }
  }
}
