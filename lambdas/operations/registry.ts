import { dlqReplayOperation } from './dlq-replay';
import { checkpointOpsOperation } from './checkpoint-ops';
import type { Operation, OperationManifest } from './types';

/**
 * Every manual operation: the one list. Adding one is its folder (`operations/<id>/`) and one line
 * here (and its Lambda entry, handlers/<id>.ts, which a test asks for).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const operationList: readonly Operation<any>[] = [dlqReplayOperation, checkpointOpsOperation];

/** Every manual operation by id (CLI and drills; a Lambda entry imports only its own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const operations: Readonly<Record<string, Operation<any>>> = Object.fromEntries(operationList.map((o) => [o.manifest.id, o]));

/** Every manual operation's manifest (data): lib/ builds a function and role for each. */
export const operationManifests: readonly OperationManifest[] = operationList.map((o) => o.manifest);
