import { dlqSpikePlaybook } from '../playbooks/dlq-spike';
import { lambdaHandler } from './lambda';

export const handler = lambdaHandler(dlqSpikePlaybook);
