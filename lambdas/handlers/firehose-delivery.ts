import { firehoseDeliveryPlaybook } from '../playbooks/firehose-delivery';
import { lambdaHandler } from './lambda';

export const handler = lambdaHandler(firehoseDeliveryPlaybook);
