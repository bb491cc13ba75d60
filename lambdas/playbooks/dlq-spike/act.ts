import type { ActionDefinition } from '../../core/playbook';
import type { DlqSpikeSettings } from './manifest';

/**
 * None. Records in a dead-letter store are bad data, a broken enrichment service or a job that
 * rejects what it should accept: a person fixes the cause, then replays with the manual
 * `dlq-replay` operation (lambdas/operations/dlq-replay), whose command the escalation carries.
 * DESIGN.md lists replaying a DLQ among what is never automatic.
 */
export const dlqSpikeActions: readonly ActionDefinition<Record<string, unknown>, DlqSpikeSettings>[] = [];
