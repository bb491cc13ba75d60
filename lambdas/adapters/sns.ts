import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

/** SNS documents subjects as ASCII text "less than 100 characters long", without line breaks. */
export const SNS_SUBJECT_MAX_CHARS = 99;

const SUBJECT_ELLIPSIS = '...';
const EMPTY_SUBJECT = 'streamfix';

/**
 * Fits any text into what SNS accepts as a subject (it is the e-mail subject line): printable
 * ASCII only (accents dropped, other characters and line breaks become spaces), whitespace
 * collapsed, and cut with `...` when too long. Never empty: SNS rejects an empty subject.
 */
export function toSnsSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii === '') return EMPTY_SUBJECT;
  if (ascii.length <= SNS_SUBJECT_MAX_CHARS) return ascii;
  return ascii.slice(0, SNS_SUBJECT_MAX_CHARS - SUBJECT_ELLIPSIS.length).trimEnd() + SUBJECT_ELLIPSIS;
}

/** Publishes to an SNS topic; errors come back as streamfix errors. */
export class SnsAdapter {
  constructor(private readonly client: SNSClient) {}

  static fromOptions(opts: AwsClientOptions): SnsAdapter {
    return new SnsAdapter(withPlugins(new SNSClient(clientConfig(opts)), opts));
  }

  /**
   * Returns the MessageId. String attributes let subscriptions filter (e.g. e-mail only for
   * `severity=critical`); empty values are left out because SNS rejects them.
   */
  async publish(topicArn: string, subject: string, message: string, attributes?: Record<string, string>): Promise<string> {
    const MessageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value !== '') MessageAttributes[name] = { DataType: 'String', StringValue: value };
    }
    try {
      const out = await this.client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: toSnsSubject(subject),
          Message: message,
          ...(Object.keys(MessageAttributes).length > 0 ? { MessageAttributes } : {}),
        }),
      );
      return out.MessageId ?? '';
    } catch (err) {
      mapAwsError('sns', 'Publish', err);
    }
  }
}
