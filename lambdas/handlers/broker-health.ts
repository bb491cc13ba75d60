import { brokerHealthPlaybook } from '../playbooks/broker-health';
import { lambdaHandler } from './lambda';

export const handler = lambdaHandler(brokerHealthPlaybook);
