import * as z from 'zod';

/**
 * Who asked for a manual operation: the principal of the credentials that ran it, as STS's
 * GetCallerIdentity names it. The CLI fills it in (`requestedBy` in the payload) and the
 * operation record keeps it. A payload sent straight to the function (aws lambda invoke) states
 * it itself, or not at all: the function's resource policy decides who may invoke, and
 * CloudTrail's Invoke data events record who did (docs/operations/access.md).
 */
export const callerIdentitySchema = z
  .object({
    arn: z
      .string()
      .max(2_048, 'at most 2,048 characters')
      .regex(/^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+$/, 'must be an IAM or STS principal ARN'),
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    userId: z.string().min(1).max(256, 'at most 256 characters'),
  })
  .strict();

export type RequestedBy = z.output<typeof callerIdentitySchema>;
