import type { SimJobRun } from './emr-state';

/**
 * The `crash-new-runs` fault: from now (for a while, when given) every new run and every new
 * attempt of a job crashes some time after it reaches RUNNING, unless it has at least the
 * executor memory that cures the loop. An attempt EMR starts itself (job resiliency) is "new"
 * like a run someone starts: a crash loop catches both, as a real one does.
 */

interface CrashLoop {
  afterMs: number;
  stateDetails: string;
  sinceMs: number;
  untilMs?: number;
  untilExecutorMemoryGiB?: number;
}

export interface CrashLoopOptions {
  /** The loop lasts this long: runs and attempts created later are healthy. */
  forMs?: number;
  /** Runs whose spark.executor.memory is at least this many GiB do not crash. */
  untilExecutorMemoryGiB?: number;
}

const UNIT_GIB: Record<string, number> = { k: 1 / 1_048_576, m: 1 / 1024, g: 1, t: 1024 };

/**
 * spark.executor.memory in GiB as spark-submit reads `--conf spark.executor.memory=…` (a bare
 * number is MiB, "JVM memory strings" in Spark's configuration page); undefined when unset.
 */
export function executorMemoryGiB(sparkSubmitParameters: string | undefined): number | undefined {
  const m = /--conf[=\s]+spark\.executor\.memory=(\d+(?:\.\d+)?)([kmgt]?)b?\b/i.exec(sparkSubmitParameters ?? '');
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? UNIT_GIB[m[2].toLowerCase()]! : 1 / 1024);
}

export class CrashLoops {
  private readonly loops = new Map<string, CrashLoop>();

  set(applicationId: string, jobName: string, nowMs: number, afterMs: number, stateDetails: string, opts: CrashLoopOptions = {}): void {
    this.loops.set(`${applicationId}|${jobName}`, {
      afterMs,
      stateDetails,
      sinceMs: nowMs,
      ...(opts.forMs !== undefined ? { untilMs: nowMs + opts.forMs } : {}),
      ...(opts.untilExecutorMemoryGiB !== undefined ? { untilExecutorMemoryGiB: opts.untilExecutorMemoryGiB } : {}),
    });
  }

  /** The crash that catches the current attempt of `run`, if any. */
  catches(run: SimJobRun): { afterMs: number; stateDetails: string } | undefined {
    const c = this.loops.get(`${run.applicationId}|${run.name}`);
    const created = (run.attemptCreatedAt ?? run.createdAt).getTime();
    if (!c || created < c.sinceMs || (c.untilMs !== undefined && created >= c.untilMs)) return undefined;
    if (c.untilExecutorMemoryGiB !== undefined) {
      const gib = executorMemoryGiB(run.jobDriver?.sparkSubmit?.sparkSubmitParameters);
      if (gib !== undefined && gib >= c.untilExecutorMemoryGiB) return undefined;
    }
    return c;
  }
}
