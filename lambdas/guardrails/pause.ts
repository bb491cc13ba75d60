import type { SsmAdapter } from '../adapters/ssm';
import type { Clock } from '../core/clock';

/**
 * The kill switch: an SSM parameter for everything and one per pipeline. A missing parameter,
 * an empty value or `off` means "not paused"; any other value pauses and is the reason.
 * Read once per invocation with a short cache, so a pause takes effect within seconds.
 *
 * The cache runs on the injected Clock, not on Powertools Parameters' cache: that one expires by
 * the wall clock (Date.now, whole seconds), so in a drill's simulated time a warm container
 * would keep serving "not paused" for simulated minutes after a pause was set.
 */
export interface PauseState {
  paused: boolean;
  scope?: 'global' | 'pipeline' | 'config';
  reason?: string;
}

const isPaused = (v: string | undefined) => v !== undefined && v.trim() !== '' && v.trim().toLowerCase() !== 'off';

export class PauseReader {
  private readonly cache = new Map<string, { atMs: number; state: PauseState }>();

  constructor(
    private readonly ssm: Pick<SsmAdapter, 'getParameters'>,
    private readonly clock: Clock,
    private readonly names: { global: string; pipelinePrefix: string },
    private readonly ttlMs = 15_000,
  ) {}

  /** Drops what was read: the next check reads the parameters again. */
  forget(): void {
    this.cache.clear();
  }

  async check(pipeline: string, pausedInConfig: boolean): Promise<PauseState> {
    if (pausedInConfig) return { paused: true, scope: 'config', reason: 'paused in streamfix.config.ts' };
    const now = this.clock.now();
    const hit = this.cache.get(pipeline);
    if (hit && now - hit.atMs <= this.ttlMs) return hit.state;
    const nameP = `${this.names.pipelinePrefix}${pipeline}`;
    const values = await this.ssm.getParameters([this.names.global, nameP]);
    const g = values[this.names.global];
    const p = values[nameP];
    const state: PauseState = isPaused(g)
      ? { paused: true, scope: 'global', reason: g!.trim() }
      : isPaused(p)
        ? { paused: true, scope: 'pipeline', reason: p!.trim() }
        : { paused: false };
    this.cache.set(pipeline, { atMs: now, state });
    return state;
  }
}
