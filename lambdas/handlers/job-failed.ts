import { jobFailedPlaybook } from '../playbooks/job-failed';
import { lambdaHandler } from './lambda';

export const handler = lambdaHandler(jobFailedPlaybook);
