import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface EscalationProps {
  /** config.name. */
  readonly prefix: string;
  /** Addresses subscribed to the topic by e-mail. @default none */
  readonly emails?: readonly string[];
  /** Secrets Manager secret holding the PagerDuty routing key. @default PagerDuty off */
  readonly pagerDutySecretName?: string;
  /** Alarms (by name) of this stack whose actions publish to the topic. @default none */
  readonly alarmNames?: readonly string[];
}

/**
 * Where streamfix reaches people: an SNS topic (SSL only, encrypted) and, when configured, a
 * reference to the PagerDuty routing-key secret (never created or read here).
 *
 * The topic uses a customer-managed key rather than the AWS-managed `alias/aws/sns`: CloudWatch
 * alarm actions cannot publish to a topic encrypted with the AWS-managed key (its key policy
 * cannot grant cloudwatch.amazonaws.com), and the dead-letter alarm must reach this topic.
 */
export class Escalation extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly pagerDutySecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: EscalationProps) {
    super(scope, id);
    const topicName = `${props.prefix}-escalations`;
    // Built from the name, not `topic.topicArn`: the topic refers to the key, so the key
    // policy referring back to the topic would be a cycle. With the stack's pseudo parameters,
    // never the synth machine's region or account.
    const topicArn = `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:${topicName}`;

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the ${topicName} SNS topic`,
      enableKeyRotation: true,
      // The key policy KMS needs (the account may grant the key through IAM: "Default key
      // policy", KMS Developer Guide), naming the account by AWS::AccountId rather than the
      // account the stack happens to be synthesized for.
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`)],
            actions: ['kms:*'],
            resources: ['*'],
          }),
        ],
      }),
      // SNS keeps no messages once delivered: with the topic gone nothing is left to decrypt.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': topicArn } },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      topicName,
      displayName: `${props.prefix} escalations`,
      masterKey: this.key,
      enforceSSL: true,
    });
    const alarmArns = (props.alarmNames ?? []).map((name) => `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${name}`);
    if (alarmArns.length > 0) {
      // The topic policy CDK writes (for enforceSSL) replaces SNS's default one, which is what
      // lets CloudWatch publish; say explicitly which alarms may.
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowStreamfixAlarmsToPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { ArnLike: { 'aws:SourceArn': alarmArns }, StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    if (props.pagerDutySecretName !== undefined) {
      this.pagerDutySecret = secretsmanager.Secret.fromSecretNameV2(this, 'PagerDutySecret', props.pagerDutySecretName);
    }
  }
}
