import type { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AdapterClasses, AwsAdapters } from '../adapters/select';
import type { StreamfixConfig, PipelineConfig } from '../config/schema';
import type { Clock } from '../core/clock';
import type { WorkerLease } from '../core/lease';
import type { Ledger } from '../ledger/ledger';
import type { OperationRecord } from '../ledger/types';
import type { PermissionSpec } from '../core/playbook';

/**
 * A manual operation an on-call engineer invokes (through `streamfix …` or `aws lambda invoke`):
 * checkpoint backup/rollback/reset/restore, DLQ replay. Like a playbook it has a manifest
 * (data: what the CDK stack builds its function and least-privilege role from) and code.
 */
export interface OperationPipelineContext {
  name: string;
  pipeline: PipelineConfig;
  account: string;
  region: string;
  partition: string;
  prefix: string;
}

export interface OperationManifest {
  id: string;
  title: string;
  summary: string;
  timeoutSeconds: number;
  memoryMb: number;
  appliesTo(pipeline: PipelineConfig): boolean;
  permissions(p: OperationPipelineContext): PermissionSpec[];
}

export interface OperationContext {
  operationId: string;
  config: StreamfixConfig;
  clock: Clock;
  aws: AwsAdapters;
  ledger: Ledger;
  logger: Logger;
  signal: AbortSignal;
  /** Milliseconds left before the function must stop (Infinity outside Lambda). */
  remainingMs(): number;
  /** The record as started (a re-invocation gets the earlier record: continue it). */
  record: OperationRecord;
  /**
   * This run's lease on its target (absent for a read-only run): renewed in the background;
   * `ensure()` before every change throws LeaseLostError when another run holds the target now.
   */
  lease?: WorkerLease;
  /** The Lambda request id of this run (the CLI's own id outside Lambda). */
  requestId?: string;
}

/**
 * What one run of an operation works on, at most one run at a time: the DLQ a replay reads, the
 * checkpoint a checkpoint operation changes. `field` is the payload field a refusal names.
 */
export interface OperationTarget {
  key: string;
  field: string;
}

export interface OperationResult {
  status: 'done' | 'partial' | 'failed';
  summary: string;
  result: Record<string, unknown>;
  /** When `partial`: the payload that continues the operation (same operationId). */
  continueWith?: Record<string, unknown>;
}

export interface Operation<P extends { command: string; pipeline?: string } = { command: string; pipeline?: string }> {
  manifest: OperationManifest;
  /**
   * The service adapters `run` uses through `ctx.aws`: its function bundles these and no other;
   * any other one throws AdapterNotBundledError. A test checks them against the manifest's permissions.
   */
  adapters: AdapterClasses;
  /** Schema of the manual payload; every rejection names the field. */
  payload: z.ZodType<P, unknown>;
  /**
   * Refusals, each naming the field: anything (bucket, prefix, stream, job, topic) that is not in
   * the config, a mutating command without `confirm: true`, … Pure.
   */
  authorize(p: P, config: StreamfixConfig): { field: string; message: string }[];
  /** A stable id for the operation: the same request resumes the same operation. */
  operationId(p: P): string;
  /**
   * What the run changes, held by one run at a time (a fenced lease in the ledger); undefined for
   * a run that only reads (a dry run, `inspect`), which runs beside any other. Pure.
   */
  target?(p: P, config: StreamfixConfig): OperationTarget | undefined;
  run(p: P, ctx: OperationContext): Promise<OperationResult>;
}
