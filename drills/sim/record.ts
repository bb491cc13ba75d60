/**
 * What happened in a drill, as the simulated platform saw it: every AWS call the code under
 * drill made, and every thing the world did on its own (faults, events, alarm changes,
 * deliveries, invocations). Drill results are built from this record and the ledger.
 */

export interface CallRecord {
  seq: number;
  atMs: number;
  /** `emr-serverless`, `s3`, `cloudwatch`, `scheduler`, `sns`, `ssm`, `secrets-manager`, `pagerduty`. */
  service: string;
  /** The API operation (`StartJobRun`), or for PagerDuty the endpoint (`enqueue`, `change`). */
  operation: string;
  input: unknown;
  output?: unknown;
  error?: { name: string; message: string };
  /** The invocation that made the call (absent for calls made by the drill itself). */
  invocationId?: string;
  functionName?: string;
}

export type WorldEventKind =
  | 'fault'
  | 'job-run'
  | 'event'
  | 'event-dropped'
  | 'alarm'
  | 'delivery'
  | 'invocation'
  | 'invocation-error'
  | 'schedule'
  | 'dead-letter'
  | 'violation'
  | 'note';

export interface WorldEvent {
  seq: number;
  atMs: number;
  kind: WorldEventKind;
  text: string;
  data?: Record<string, unknown>;
}

export type ViolationKind =
  | 'two-active-runs'
  | 'start-while-active'
  | 'wrong-execution-role'
  | 'session-policy-dropped'
  // Managed Flink: a start that skips the restore, parallelism above the source's shards, an update of more than the parallelism.
  | 'flink-state-dropped'
  | 'parallelism-above-shards'
  | 'flink-config-changed';

export interface GuardrailViolation {
  atMs: number;
  kind: ViolationKind;
  applicationId: string;
  jobName: string;
  jobRunIds: string[];
  detail: string;
}

export interface InvocationRecord {
  invocationId: string;
  functionName: string;
  /** What sent it: `eventbridge:<rule>`, `scheduler:<schedule>`, `drill`. */
  source: string;
  attempt: number;
  /** Lambda's request id: the same for an event's first attempt and its retries. */
  requestId: string;
  startedAtMs: number;
  endedAtMs?: number;
  /** The handler's answer (InvocationResult) when it returned. */
  result?: unknown;
  error?: { name: string; message: string };
  payload: unknown;
}

export class SimRecord {
  readonly calls: CallRecord[] = [];
  readonly events: WorldEvent[] = [];
  readonly violations: GuardrailViolation[] = [];
  readonly invocations: InvocationRecord[] = [];
  private seq = 0;

  call(c: Omit<CallRecord, 'seq'>): CallRecord {
    const rec = { seq: this.seq++, ...c };
    this.calls.push(rec);
    return rec;
  }

  event(atMs: number, kind: WorldEventKind, text: string, data?: Record<string, unknown>): void {
    this.events.push({ seq: this.seq++, atMs, kind, text, ...(data ? { data } : {}) });
  }

  violation(v: GuardrailViolation): void {
    this.violations.push(v);
    this.event(v.atMs, 'violation', `${v.kind}: ${v.detail}`, { jobRunIds: v.jobRunIds });
  }

  /** Calls per operation (`StartJobRun` → 2), optionally only those of one service. */
  countCalls(filter: (c: CallRecord) => boolean = () => true): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.calls) if (filter(c)) out[c.operation] = (out[c.operation] ?? 0) + 1;
    return out;
  }
}
