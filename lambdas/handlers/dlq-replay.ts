import { dlqReplayOperation } from '../operations/dlq-replay';
import { operationLambdaHandler } from './operation-lambda';

export const handler = operationLambdaHandler(dlqReplayOperation);
