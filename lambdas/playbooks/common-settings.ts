import * as z from 'zod';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS, modeSchema } from '../config/mode';
import type { CommonSettingsDefaults } from '../core/playbook';

export type { CommonSettings, CommonSettingsDefaults } from '../core/playbook';

/**
 * Settings every playbook has (mode, cooldown, budget, verification, breaker) plus the
 * playbook's own bounds. Each field defaults to the playbook's manifest value.
 */
export function playbookSettings<B extends z.ZodObject>(bounds: B, d: CommonSettingsDefaults) {
  return z
    .object({
      mode: modeSchema.default(d.mode),
      cooldownSeconds: z.number().int().min(0).max(86_400).default(d.cooldownSeconds),
      maxActionsPerHour: z.number().int().min(0).max(100).default(d.maxActionsPerHour),
      verifyAfterSeconds: z.number().int().min(10).max(3_600).default(d.verifyAfterSeconds),
      verifyDeadlineSeconds: z.number().int().min(10).max(86_400).default(d.verifyDeadlineSeconds),
      breakerWindowSeconds: z.number().int().min(0).max(86_400).default(d.breakerWindowSeconds),
      breakerMaxVerifyFailures: z.number().int().min(1).max(20).default(d.breakerMaxVerifyFailures),
      breakerOpenSeconds: z
        .number()
        .int()
        .min(60)
        .max(7 * 86_400)
        .default(d.breakerOpenSeconds),
      maxRechecks: z.number().int().min(0).max(20).default(d.maxRechecks),
      /** Mode `approve`: how long a request for approval stays open. */
      approvalTimeoutSeconds: z
        .number()
        .int()
        .min(60)
        .max(86_400)
        .default(d.approvalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS),
      bounds: bounds.prefault({} as z.input<B>),
    })
    .strict()
    .refine((s) => s.verifyDeadlineSeconds >= s.verifyAfterSeconds, {
      message: 'verifyDeadlineSeconds must be at least verifyAfterSeconds',
      path: ['verifyDeadlineSeconds'],
    })
    .prefault({});
}
