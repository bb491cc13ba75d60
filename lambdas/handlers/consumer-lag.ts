import { consumerLagPlaybook } from '../playbooks/consumer-lag';
import { lambdaHandler } from './lambda';

export const handler = lambdaHandler(consumerLagPlaybook);
