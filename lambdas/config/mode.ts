import * as z from 'zod';

/**
 * auto: act within bounds; approve: plan, page, act once a person approves the same plan;
 * recommend: plan and tell, change nothing; off: record and ignore.
 */
export const modeSchema = z.enum(['auto', 'approve', 'recommend', 'off']);
export type Mode = z.infer<typeof modeSchema>;

/** How long an approval request stays open when a playbook does not say (30 minutes). */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 1_800;
