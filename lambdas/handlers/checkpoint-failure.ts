import { checkpointFailurePlaybook } from '../playbooks/checkpoint-failure';
import { lambdaHandler } from './lambda';

export const handler = lambdaHandler(checkpointFailurePlaybook);
