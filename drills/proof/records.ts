/**
 * What the proof records about a run's chaos: the kills it planned and made (chaos.ts) and the
 * corrective calls made by a worker that owned no live incident, which the invariants
 * (invariants.ts) count.
 */

export interface KillPlan {
  /** `any-call`: the n-th call of playbook invocations; `at-action`: k calls after the first corrective call. */
  mode: 'any-call' | 'at-action';
  n: number;
  phase: 'before' | 'after';
  how: 'timeout' | 'crash';
}

export interface KillRecord {
  plan: KillPlan;
  invocationId: string;
  functionName: string;
  atMs: number;
  service: string;
  operation: string;
}

/** A corrective call whose worker did not own a live incident when it made it (drills/proof/chaos.ts). */
export interface UnownedAction {
  invocationId: string;
  atMs: number;
  service: string;
  operation: string;
}
