import { checkpointOpsOperation } from '../operations/checkpoint-ops';
import { operationLambdaHandler } from './operation-lambda';

export const handler = operationLambdaHandler(checkpointOpsOperation);
