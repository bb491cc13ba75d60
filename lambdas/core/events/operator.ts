import * as z from 'zod';
import type { ApprovalTrigger, ResumeTrigger } from '../trigger';
import { parseWith } from './schema';

/**
 * The operator's inputs to a playbook function, parsed into triggers:
 *  - `{"streamfix": "approve" | "deny", "incidentId", "by", ...}`: a person's answer to an
 *    incident's request for approval (`streamfix approve|deny`, or `aws lambda invoke`);
 *  - `{"streamfix": "resume", "pipeline"?, "by"?}`: `streamfix resume`;
 *  - EventBridge "Parameter Store Change" events of the pause parameters. Systems Manager
 *    sends one when a parameter is created, updated or deleted, "on a best effort basis"
 *    (Systems Manager User Guide, "Setting up notifications or triggering actions based on
 *    Parameter Store events", sysman-paramstore-cwe.html); the event's `detail` holds
 *    `operation` (Create, Update, Delete, LabelParameterVersion), `name`, `type` and
 *    `description` ("Amazon EventBridge event examples for Systems Manager",
 *    monitoring-systems-manager-event-examples.html). Best effort: `streamfix resume` does
 *    the same explicitly.
 *
 * `parseOperatorInput` returns undefined for anything else (index.ts parses it); a payload
 * that is one of these but malformed is rejected naming the field.
 */

export const APPROVE_MARKER = 'approve';
export const DENY_MARKER = 'deny';
export const RESUME_MARKER = 'resume';
export const PARAMETER_STORE_CHANGE = 'Parameter Store Change';
export const SSM_SOURCE = 'aws.ssm';

const PIPELINE = /^[a-z][a-z0-9-]{0,39}$/;
/** `<pipeline>.<playbook>.<UTC time>.<random>` as the ledger names incidents (ledger/incidents.ts). */
const INCIDENT_ID = /^([a-z][a-z0-9-]{0,39})\.([a-z][a-z0-9-]{0,63})\.[A-Za-z0-9.-]{1,100}$/;
const ARN = /^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S{1,1900}$/;

const text = (max: number, what: string) =>
  z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, { error: `expected ${what}` })
    .max(max, { error: `at most ${max} characters` });

const identitySchema = z
  .object(
    {
      arn: z.string({ error: 'expected an IAM or STS ARN' }).regex(ARN, { error: 'expected an IAM or STS ARN such as arn:aws:iam::123456789012:user/jane' }),
      account: z
        .string()
        .regex(/^\d{12}$/, { error: 'expected a 12-digit account id' })
        .optional(),
      userId: text(256, 'a user id').optional(),
    },
    { error: 'expected an object {arn, account?, userId?}: who answers' },
  )
  .strict();

const nonce = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'expected 1–64 letters, digits or dashes' });

const approvalSchema = z
  .object({
    streamfix: z.enum([APPROVE_MARKER, DENY_MARKER]),
    incidentId: z
      .string({ error: 'expected an incident id' })
      .regex(INCIDENT_ID, { error: 'expected an incident id such as orders.job-failed.20260101T000300.1a2b3c' }),
    by: identitySchema,
    reason: text(1_000, 'a reason (a non-empty string)').optional(),
    approvalId: z
      .string()
      .regex(/^a\d{1,4}$/, { error: 'expected an approval request id such as a1' })
      .optional(),
    /** A fresh id per answer (the CLI sends one): a retried delivery of the same answer is a duplicate. */
    nonce: nonce.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.streamfix === DENY_MARKER && p.reason === undefined)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'missing: a denial says why (reason)' });
  });

const resumeSchema = z
  .object({
    streamfix: z.literal(RESUME_MARKER),
    pipeline: z.string().regex(PIPELINE, { error: 'expected a pipeline name' }).optional(),
    by: identitySchema.optional(),
    nonce: nonce.optional(),
  })
  .strict();

const parameterChangeSchema = z.looseObject({
  id: text(128, 'the event id (a non-empty string)'),
  detail: z.looseObject(
    {
      name: text(2_048, 'the parameter name (a non-empty string)'),
      operation: text(64, 'the operation such as Update'),
    },
    { error: 'expected an object {operation, name, type}' },
  ),
});

/** The pipeline and playbook an incident id names. */
export function incidentParts(incidentId: string): { pipeline: string; playbook: string } | undefined {
  const m = INCIDENT_ID.exec(incidentId);
  return m ? { pipeline: m[1]!, playbook: m[2]! } : undefined;
}

export const approvalDedupeKey = (p: { incidentId: string; verdict: string; approvalId?: string; nonce?: string; arn: string }): string =>
  `approval:${p.incidentId}:${p.verdict}:${p.approvalId ?? 'newest'}:${p.nonce ?? p.arn}`;

/** An approval, a resume, or a pause parameter's change; undefined when `raw` is none of them. */
export function parseOperatorInput(raw: Record<string, unknown>): ApprovalTrigger | ResumeTrigger | undefined {
  if (raw.streamfix === APPROVE_MARKER || raw.streamfix === DENY_MARKER) {
    const p = parseWith(approvalSchema, raw);
    const parts = incidentParts(p.incidentId)!;
    return {
      kind: 'approval',
      dedupeKey: approvalDedupeKey({
        incidentId: p.incidentId,
        verdict: p.streamfix,
        ...(p.approvalId ? { approvalId: p.approvalId } : {}),
        ...(p.nonce ? { nonce: p.nonce } : {}),
        arn: p.by.arn,
      }),
      verdict: p.streamfix,
      incidentId: p.incidentId,
      ...parts,
      by: p.by,
      ...(p.reason !== undefined ? { reason: p.reason } : {}),
      ...(p.approvalId !== undefined ? { approvalId: p.approvalId } : {}),
    };
  }
  if (raw.streamfix === RESUME_MARKER) {
    const p = parseWith(resumeSchema, raw);
    return {
      kind: 'resume',
      dedupeKey: `resume:operator:${p.pipeline ?? '*'}:${p.nonce ?? p.by?.arn ?? 'anonymous'}`,
      source: 'operator',
      ...(p.pipeline !== undefined ? { pipeline: p.pipeline } : {}),
      ...(p.by !== undefined ? { by: p.by } : {}),
    };
  }
  if (raw.source === SSM_SOURCE && raw['detail-type'] === PARAMETER_STORE_CHANGE) {
    const e = parseWith(parameterChangeSchema, raw);
    return { kind: 'resume', dedupeKey: `resume:ssm:${e.id}`, source: 'parameter-store', parameterName: e.detail.name };
  }
  return undefined;
}

/** The EventBridge pattern that sends a playbook the changes of its pause parameters. */
export const pauseChangePattern = (parameterNames: string[]) => ({
  source: [SSM_SOURCE],
  'detail-type': [PARAMETER_STORE_CHANGE],
  detail: { name: parameterNames },
});
