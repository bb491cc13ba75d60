import { z } from 'zod';
import { pipelineRef } from '../../lambdas/util/pipeline-ref';

/**
 * The scenario format's approval entries (docs/scenarios.md, "Approvals"): a person answers the
 * newest request for approval of a pipeline and playbook's incidents, as `streamfix approve` /
 * `streamfix deny` would (an expired request included: the engine refuses it). Optional: files
 * without them keep their meaning.
 */

/** A user name (`jane`: the drill's account's IAM user) or an IAM / STS ARN. */
const person = z.string().regex(/^(arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S+|[\w+=,.@-]{1,64})$/, 'must be an IAM user name such as jane, or an IAM or STS ARN');

export const approvalFaults = {
  approve: z.object({ pipeline: pipelineRef, playbook: z.string().min(1), by: person }).strict(),
  deny: z.object({ pipeline: pipelineRef, playbook: z.string().min(1), by: person, reason: z.string().min(1) }).strict(),
} as const;

/** Who approved the fix that was carried out: the user name or the ARN the answer named. */
export const approvedBySchema = person.optional();

/** The ARN a drill's `by` stands for. */
export const personArn = (by: string, account: string): string => (by.startsWith('arn:') ? by : `arn:aws:iam::${account}:user/${by}`);

/** Whether `actual` (an ARN) is the person an expectation names (a user name, or the ARN itself). */
export const samePerson = (expected: string, actual: string | undefined): boolean =>
  actual !== undefined && (actual === expected || (!expected.startsWith('arn:') && actual.slice(actual.lastIndexOf('/') + 1) === expected));
