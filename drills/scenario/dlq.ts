import { z } from 'zod';
import { ERROR_TYPES } from '../../lambdas/analysis/dlq/envelope';
import { durationSchema } from './duration';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario format's dead-letter part (docs/scenarios.md, "Dead letters and replay"): the
 * pipeline's job writing records to its DLQ, manual operations invoked by an operator, and what
 * a replay must have delivered by the end. All optional: files without them keep their meaning.
 */

export const dlqFaults = {
  /**
   * From now on, for `for`, the pipeline's job writes `perMinute` records a minute to its DLQ
   * (one object a minute, hourly layout) and publishes the playbook's DLQ metric.
   */
  'dlq-records': z
    .object({
      pipeline: pipelineRef,
      perMinute: z.number().int().min(1).max(100_000),
      for: durationSchema,
      /** One type, or shares by type (normalized). */
      errorType: z.enum(ERROR_TYPES).optional(),
      errorTypes: z.partialRecord(z.enum(ERROR_TYPES), z.number().min(0)).optional(),
      errorMessage: z.string().min(1).default('record rejected'),
      /** The original record: `{i}` in a string value becomes the record's number. */
      payload: z.record(z.string(), z.unknown()).default({ order_id: 'o-{i}' }),
      /** Stamp each envelope with the newest RUNNING run of the job (`job_run_id`). */
      stampJobRun: z.boolean().default(true),
    })
    .strict()
    .refine((d) => (d.errorType === undefined) !== (d.errorTypes === undefined), { message: 'give exactly one of `errorType` or `errorTypes`' }),
  /**
   * An operator invokes a manual operation's function with this payload (asynchronously), `times`
   * times: one a second apart, or all at once with `concurrent` (two people, or a CLI run beside a
   * Lambda run, on the same target).
   */
  'invoke-operation': z
    .object({
      operation: z.string().min(1),
      payload: z.record(z.string(), z.unknown()),
      times: z.number().int().min(1).max(10).default(1),
      concurrent: z.boolean().default(false),
    })
    .strict(),
} as const;

export const dlqExpectSchema = z
  .record(
    pipelineRef,
    z
      .object({
        /** Records the job wrote to the DLQ during the drill. */
        written: z.number().int().min(0).optional(),
        /** Distinct DLQ records replayed to the source topic. */
        delivered: z.number().int().min(0).optional(),
        /** Messages replayed more than once (beyond the first of each record). */
        duplicates: z.number().int().min(0).optional(),
        /** Records written to the DLQ and never replayed. */
        missing: z.number().int().min(0).optional(),
      })
      .strict(),
  )
  .optional();

export const operationsExpectSchema = z
  .record(
    z.string().min(1),
    z
      .object({
        invocations: z.number().int().min(0).optional(),
        /** Outcomes of its invocations, by outcome (`done`, `partial`, `failed`, `refused`, `rejected`; `error`: the function threw). */
        outcomes: z.partialRecord(z.enum(['done', 'partial', 'failed', 'refused', 'rejected', 'error']), z.number().int().min(0)).optional(),
      })
      .strict(),
  )
  .optional();

export type DlqRecordsSpec = z.output<(typeof dlqFaults)['dlq-records']>;
export type DlqExpectations = z.output<typeof dlqExpectSchema>;
export type OperationsExpectations = z.output<typeof operationsExpectSchema>;
