import * as z from 'zod';
import type { FollowUpTrigger } from '../trigger';
import { boundedString, expected, parseWith } from './schema';

/** A follow-up (verify or recheck) the engine scheduled for itself: its payload and its trigger. */

export const FOLLOW_UP_MARKER = 'follow-up';

/** The payload a scheduled follow-up delivers back to the engine. */
export interface FollowUpPayload {
  streamfix: typeof FOLLOW_UP_MARKER;
  purpose: FollowUpTrigger['purpose'];
  incidentId: string;
  pipeline: string;
  playbook: string;
  attempt: number;
  token?: string;
}

const followUpSchema = z.looseObject({
  streamfix: z.literal(FOLLOW_UP_MARKER, { error: expected(`"${FOLLOW_UP_MARKER}"`) }),
  purpose: z.enum(['verify', 'recheck'], { error: expected('verify or recheck') }),
  incidentId: boundedString('the incident id (a non-empty string)', 200),
  pipeline: boundedString('the pipeline name (a non-empty string)', 40),
  playbook: boundedString('the playbook id (a non-empty string)', 64),
  attempt: z
    .number({ error: expected('an attempt number (a whole number ≥ 1)') })
    .int({ error: expected('an attempt number (a whole number ≥ 1)') })
    .min(1, { error: expected('an attempt number (a whole number ≥ 1)') }),
  token: z
    .string({ error: expected('a scheduling token (a string)') })
    .regex(/^[A-Za-z0-9-]{1,64}$/, { error: expected('a scheduling token (1–64 letters, digits or dashes)') })
    .optional(),
});

export const followUpDedupeKey = (incidentId: string, purpose: FollowUpTrigger['purpose'], attempt: number, token?: string): string =>
  `follow-up:${incidentId}:${purpose}:${attempt}${token ? `:${token}` : ''}`;

export function parseFollowUp(raw: unknown): FollowUpTrigger {
  const p = parseWith(followUpSchema, raw);
  return {
    kind: 'follow-up',
    dedupeKey: followUpDedupeKey(p.incidentId, p.purpose, p.attempt, p.token),
    purpose: p.purpose,
    incidentId: p.incidentId,
    pipeline: p.pipeline,
    playbook: p.playbook,
    attempt: p.attempt,
    ...(p.token !== undefined ? { token: p.token } : {}),
  };
}

/** The payload to schedule for a follow-up; `parseTrigger` turns it back into the trigger. */
export function followUpPayload(t: Omit<FollowUpTrigger, 'kind' | 'dedupeKey'>): FollowUpPayload {
  return {
    streamfix: FOLLOW_UP_MARKER,
    purpose: t.purpose,
    incidentId: t.incidentId,
    pipeline: t.pipeline,
    playbook: t.playbook,
    attempt: t.attempt,
    ...(t.token !== undefined ? { token: t.token } : {}),
  };
}
