import * as z from 'zod';

/**
 * Who may run the manual operations, where dlq-replay runs, and how long the audit trail is
 * kept: config parts that only the stack (and the ledger) read. docs/operations/access.md.
 */

/** An IAM user or role ARN (or the account root) as `aws:PrincipalArn` names it; `*` and `?` allowed in the name. */
const principalArn = z
  .string()
  .max(2_048, 'at most 2,048 characters')
  .regex(
    /^arn:aws[a-zA-Z-]*:iam::(\d{12}|\*):(root|user\/[\w+=,.@/*?-]+|role\/[\w+=,.@/*?-]+)$/,
    'must be an IAM user or role ARN (arn:aws:iam::<account>:role/<name>; * and ? allowed in the name), or an account root',
  );

export const operationsAccessSchema = z
  .object({
    /**
     * Principals allowed to invoke the operation functions (checkpoint-ops, dlq-replay), in
     * addition to the administrators. Default: none.
     */
    invokers: z.array(principalArn).max(50).default([]),
    /**
     * Who counts as an administrator of the account. Default: the account root and the roles of
     * IAM Identity Center's AdministratorAccess permission set.
     */
    administrators: z.array(principalArn).min(1).max(20).optional(),
  })
  .strict();

export const ledgerSchema = z
  .object({
    /**
     * Days the audit items (incidents, their timelines and actions, operations and their
     * progress) are kept before DynamoDB's TTL may remove them. Default: kept for good.
     */
    auditRetentionDays: z.number().int().min(1).max(36_500).optional(),
  })
  .strict();

/** The subnets and security groups an MSK cluster's clients run in (Lambda VpcConfig: ≤ 16 subnets, ≤ 5 groups). */
export const vpcSchema = z
  .object({
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id (subnet-…)'))
      .min(1)
      .max(16),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-…)'))
      .min(1)
      .max(5),
  })
  .strict();

export type OperationsAccess = z.output<typeof operationsAccessSchema>;
export type VpcConfig = z.output<typeof vpcSchema>;
