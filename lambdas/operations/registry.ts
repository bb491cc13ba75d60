import { dlqReplayOperation } from './dlq-replay';
import { checkpointOpsOperation } from './checkpoint-ops';
import type { Operation } from './types';

/** Every manual operation by id (CLI and drills; a Lambda entry imports only its own). */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds operations with different payload types
export const operations: Readonly<Record<string, Operation<any>>> = {
  [dlqReplayOperation.manifest.id]: dlqReplayOperation,
  [checkpointOpsOperation.manifest.id]: checkpointOpsOperation,
};
