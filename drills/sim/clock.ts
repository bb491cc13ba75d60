import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../../lambdas/core/clock';

/**
 * Simulated time for the drills: a discrete-event scheduler.
 *
 * Time only moves inside `runUntil`. Before each step it waits until every function invocation
 * in flight is either finished or idle, then jumps to the next due task. An invocation is idle
 * when it sleeps on this clock and has no I/O in flight (DynamoDB requests and simulated calls
 * are marked with `beginIo`); one that neither sleeps nor has ended is busy, whatever it awaits.
 * An engine that sleeps while a job run is cancelling therefore sees the world evolve exactly
 * as far as it slept.
 */

/** One function invocation in flight: what the simulated services attribute their calls to. */
export interface InvocationFrame {
  invocationId: string;
  functionName: string;
  functionArn: string;
  startedAtMs: number;
  calls: number;
}

interface Task {
  atMs: number;
  /** Lower runs first among tasks due at the same time (the world's minute tick is 0). */
  priority: number;
  seq: number;
  label: string;
  run: () => void | Promise<void>;
}

export class DrillStuckError extends Error {
  override readonly name = 'DrillStuckError';
}

export interface SimClockOptions {
  /** Real milliseconds an invocation may stay busy (not asleep) before the drill gives up. */
  stuckAfterRealMs?: number;
}

interface FrameState {
  frame: InvocationFrame;
  sleepers: number;
  io: number;
}

export class SimClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly queue: Task[] = [];
  private readonly states = new Map<string, FrameState>();
  /** Bumped on every change of an invocation's state: settle() uses it to tell waiting from stuck. */
  private progress = 0;
  private readonly frames = new AsyncLocalStorage<FrameState>();
  private readonly stuckAfterRealMs: number;

  constructor(startMs: number, opts: SimClockOptions = {}) {
    this.t = startMs;
    this.stuckAfterRealMs = opts.stuckAfterRealMs ?? 30_000;
  }

  now(): number {
    return this.t;
  }

  /** The invocation the current code runs in, if any. */
  currentFrame(): InvocationFrame | undefined {
    return this.frames.getStore()?.frame;
  }

  /**
   * Runs `run` at `atMs` (never earlier than now). Tasks due at the same time run by
   * `priority` (lower first, default 1), then in the order they were added.
   */
  at(atMs: number, label: string, run: () => void | Promise<void>, priority = 1): void {
    const task: Task = { atMs: Math.max(atMs, this.t), priority, seq: this.seq++, label, run };
    const after = (a: Task) => a.atMs > task.atMs || (a.atMs === task.atMs && a.priority > task.priority);
    let i = this.queue.length;
    while (i > 0 && after(this.queue[i - 1]!)) i--;
    this.queue.splice(i, 0, task);
  }

  after(ms: number, label: string, run: () => void | Promise<void>): void {
    this.at(this.t + ms, label, run);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this.frames.getStore();
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        if (state) state.sleepers--;
        this.progress++;
        return true;
      };
      if (state) state.sleepers++;
      this.progress++;
      // The listener goes when the sleep ends: one invocation's signal outlives many sleeps.
      const onAbort = () => finish() && reject(signal?.reason);
      this.after(Math.max(0, ms), `wake ${state?.frame.functionName ?? 'sleeper'}`, () => {
        signal?.removeEventListener('abort', onAbort);
        if (finish()) resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Calls `fn` every `ms` of simulated time in the background, in the caller's invocation (its
   * calls are attributed to it, and stop with it when it is killed), until stopped.
   */
  every(ms: number, fn: () => Promise<void>): () => void {
    const controller = new AbortController();
    const loop = async () => {
      for (;;) {
        try {
          await this.sleep(ms, controller.signal);
        } catch {
          return;
        }
        if (controller.signal.aborted) return;
        await fn().catch(() => undefined);
      }
    };
    void loop();
    return () => controller.abort();
  }

  /**
   * Runs one invocation, visible to the simulated services through `currentFrame()`. It counts
   * as busy until it ends, or until all it waits for is this clock (asleep, no I/O in flight).
   */
  track<T>(frame: InvocationFrame, fn: () => Promise<T>): Promise<T> {
    const state: FrameState = { frame, sleepers: 0, io: 0 };
    this.states.set(frame.invocationId, state);
    this.progress++;
    return this.frames.run(state, async () => {
      try {
        return await fn();
      } finally {
        this.states.delete(frame.invocationId);
        this.progress++;
      }
    });
  }

  /**
   * Marks real I/O (a DynamoDB request, a simulated call) in flight for the current invocation;
   * call the returned function when it ends.
   */
  beginIo(): () => void {
    const state = this.frames.getStore();
    if (!state) return () => undefined;
    state.io++;
    this.progress++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      state.io--;
      this.progress++;
    };
  }

  /** Invocations that have started and not ended (asleep or busy). */
  invocationsInFlight(): InvocationFrame[] {
    return [...this.states.values()].map((s) => s.frame);
  }

  private busyFrames(): InvocationFrame[] {
    return [...this.states.values()].filter((s) => s.io > 0 || s.sleepers === 0).map((s) => s.frame);
  }

  /** Resolves when no invocation is busy; throws DrillStuckError when one makes no progress at all. */
  async settle(): Promise<void> {
    let seen = this.progress;
    let since = Date.now();
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      const busy = this.busyFrames();
      if (busy.length === 0) return;
      if (this.progress !== seen) {
        seen = this.progress;
        since = Date.now();
      } else if (Date.now() - since > this.stuckAfterRealMs) {
        throw new DrillStuckError(
          `invocation(s) made no progress for ${this.stuckAfterRealMs} ms of real time without sleeping on the simulated clock: ` +
            busy.map((f) => `${f.functionName} (${f.invocationId})`).join(', '),
        );
      }
      await new Promise<void>((r) => setTimeout(r, 1));
    }
  }

  /** Time of the next due task, if any. */
  nextDueMs(): number | undefined {
    return this.queue[0]?.atMs;
  }

  /** Moves simulated time to `endMs`, running every task due on the way. */
  async runUntil(endMs: number): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.queue[0];
      if (!next || next.atMs > endMs) break;
      this.queue.shift();
      this.t = Math.max(this.t, next.atMs);
      await next.run();
    }
    this.t = Math.max(this.t, endMs);
  }

  /** `runUntil(now + ms)`. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.t + ms);
  }
}
