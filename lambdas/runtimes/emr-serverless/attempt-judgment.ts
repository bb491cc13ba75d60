import type { JobRunView } from '../../adapters/emr-serverless';
import { classifyFailure, recommendMemory, sameFailure, type FailureClass, type MemoryRecommendation } from '../../analysis/job-failure';
import type { Evidence } from '../../core/decision';
import type { AttemptFailure, AttemptHistory } from './attempts';
import type { JobRestartSettings } from '../restart-judgment';
import { startCommand } from './restart';

/**
 * Pure judgment over a run's attempts (EMR Serverless 7.1.0+ job resiliency): which way each
 * attempt of the last hour failed, whether the latest failure repeats, and what more memory
 * would be for an out-of-memory loop.
 */

export interface ClassifiedFailure extends AttemptFailure {
  class: FailureClass;
}

export interface AttemptJudgment {
  /** Failed attempts of the last hour, newest first. */
  failures: ClassifiedFailure[];
  latest?: ClassifiedFailure;
  /** Failed attempts of the last hour that failed the way the latest did (itself included). */
  sameAsLatest: number;
  /** Every failed attempt of the last hour failed for a transient reason (and there is one). */
  allTransient: boolean;
}

export function judgeAttempts(history: AttemptHistory | undefined, s: JobRestartSettings): AttemptJudgment {
  const failures = (history?.failures ?? []).map((f) => ({ ...f, class: classifyFailure(f.text, s.bounds.nonRestartablePatterns) }));
  const latest = failures[0];
  return {
    failures,
    ...(latest ? { latest } : {}),
    sameAsLatest: latest ? failures.filter((f) => sameFailure(f.class, latest.class)).length : 0,
    allTransient: failures.length > 0 && failures.every((f) => f.class.category === 'transient'),
  };
}

const oneLine = (t: string | undefined, max = 160) => {
  const flat = (t ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `#3 out-of-memory (driver-log:s3): java.lang.OutOfMemoryError…; #2 …`: every attempt's failure, for evidence and pages. */
export const attemptHistoryText = (j: AttemptJudgment): string =>
  j.failures.map((f) => `#${f.attempt} ${f.class.label} (${f.source}): ${oneLine(f.text)}`).join('; ');

export function attemptEvidence(r: JobRunView, j: AttemptJudgment): Evidence {
  return {
    attempt: r.attempt ?? 1,
    maxFailedAttemptsPerHour: r.retryPolicy?.maxFailedAttemptsPerHour ?? 5,
    attemptsFailedLastHour: j.failures.length,
    latestFailureClass: j.latest ? `${j.latest.class.category}:${j.latest.class.label}` : null,
    latestFailureTextSource: j.latest?.source ?? null,
    latestFailureText: j.latest?.text?.slice(0, 500) ?? null,
    sameFailureAttempts: j.sameAsLatest,
    attemptHistory: attemptHistoryText(j) || null,
  };
}

/** The memory a crash-looping run should get, and the exact commands to give it. */
export function memoryAdvice(r: JobRunView, j: AttemptJudgment, s: JobRestartSettings): { rec: MemoryRecommendation; command: string } | undefined {
  if (j.latest?.class.category !== 'memory') return undefined;
  const rec = recommendMemory(r.jobDriver, r.configurationOverrides, j.latest.class.memoryOf ?? 'executor', s.bounds.memory);
  const start = startCommand(r, r.applicationId, rec.sparkSubmitParameters);
  const cancel = `aws emr-serverless cancel-job-run --application-id ${r.applicationId} --job-run-id ${r.jobRunId}`;
  return { rec, command: rec.sparkSubmitParameters ? `${cancel} && ${start}` : cancel };
}
