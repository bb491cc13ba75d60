import { dlqReplayOperation } from './dlq-replay';
import { checkpointOpsOperation } from './checkpoint-ops';
import type { Operation, OperationManifest } from './types';

/**
 * Every manual operation: the one list. Adding one is its folder (`operations/<id>/`) and one line
 * here; its Lambda entry is written at synth (lib/entries.ts).
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds operations with different payload types
const operationList: readonly Operation<any>[] = [dlqReplayOperation, checkpointOpsOperation];

/** Every manual operation by id (CLI and drills; a Lambda entry imports only its own). */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds operations with different payload types
export const operations: Readonly<Record<string, Operation<any>>> = Object.fromEntries(operationList.map((o) => [o.manifest.id, o]));

/** Every manual operation's manifest (data): lib/ builds a function and role for each. */
export const operationManifests: readonly OperationManifest[] = operationList.map((o) => o.manifest);
