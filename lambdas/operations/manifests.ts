import { dlqReplayManifest } from './dlq-replay/manifest';
import { checkpointOpsManifest } from './checkpoint-ops/manifest';
import type { OperationManifest } from './types';

/** Every manual operation's manifest (data only): lib/ builds a function and role for each. */
export const operationManifests: readonly OperationManifest[] = [dlqReplayManifest, checkpointOpsManifest];
