/** What an EMR Serverless application's ARN is made of; a PipelineContext of an EMR pipeline fits. */
export interface EmrApplicationRef {
  partition: string;
  region: string;
  account: string;
  pipeline: { job: { applicationId: string } };
}

/**
 * The pipeline's EMR Serverless application ARN, `arn:${Partition}:emr-serverless:${Region}:${Account}:/applications/${ApplicationId}`
 * (Service Authorization Reference, "Actions, resources, and condition keys for Amazon EMR Serverless": resource type applications).
 */
export const appArn = (p: EmrApplicationRef): string =>
  `arn:${p.partition}:emr-serverless:${p.region}:${p.account}:/applications/${p.pipeline.job.applicationId}`;
