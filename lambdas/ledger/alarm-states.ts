import { ConflictError } from '../core/errors';
import { lacks, lte, or, type ItemStore } from './item-store';
import { DAY_S, expires } from './keys';

const RETAIN_S = 30 * DAY_S;

/**
 * The newest state seen for each alarm. EventBridge delivers at least once and not in order
 * (FACTS §1): an alarm event whose state timestamp is older than the newest one already seen
 * for that alarm is stale (e.g. an ALARM delivered after the OK that followed it).
 */
export class AlarmStates {
  constructor(private readonly store: ItemStore) {}

  /** Records the state when it is the newest (or as new as the newest); else says it is stale. */
  async observe(
    alarmName: string,
    state: string,
    stateAtMs: number,
    nowMs: number,
  ): Promise<{ stale: false } | { stale: true; newestState: string; newestAtMs: number }> {
    const pk = `ALARMSTATE#${alarmName}`;
    try {
      await this.store.update(pk, '-', { state, stateAtMs, expiresAt: expires(nowMs, RETAIN_S) }, or(lacks('stateAtMs'), lte('stateAtMs', stateAtMs)));
      return { stale: false };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
    const it = await this.store.get(pk, '-');
    return { stale: true, newestState: String(it?.state ?? ''), newestAtMs: Number(it?.stateAtMs ?? 0) };
  }
}
