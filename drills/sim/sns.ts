import { InvalidParameterException, NotFoundException, SNSServiceException, type PublishInput } from '@aws-sdk/client-sns';
import type { SimContext, SimService } from './context';

/** SNS: topics that exist, and every message published to them. */

export interface PublishedMessage {
  atMs: number;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  messageId: string;
  invocationId?: string;
}

export class SimSns implements SimService {
  readonly clientName = 'SNSClient';
  readonly service = 'sns';
  readonly baseException = SNSServiceException;
  readonly messages: PublishedMessage[] = [];
  readonly operations = {
    Publish: (i: PublishInput) => {
      const arn = i.TopicArn ?? i.TargetArn;
      if (!arn || !this.topics.has(arn)) throw this.ctx.err(NotFoundException, 404, 'Topic does not exist');
      if (i.Message === undefined || i.Message === '') throw this.ctx.err(InvalidParameterException, 400, 'Invalid parameter: Empty message');
      if (Buffer.byteLength(i.Message, 'utf8') > 256 * 1024) throw this.ctx.err(InvalidParameterException, 400, 'Invalid parameter: Message too long');
      if (i.Subject !== undefined && (i.Subject.length > 100 || /[\r\n]/.test(i.Subject))) {
        throw this.ctx.err(InvalidParameterException, 400, 'Invalid parameter: Subject');
      }
      const messageId = this.ctx.ids.uuid();
      const frame = this.ctx.clock.currentFrame();
      this.messages.push({
        atMs: this.ctx.clock.now(),
        topicArn: arn,
        ...(i.Subject !== undefined ? { subject: i.Subject } : {}),
        message: i.Message,
        attributes: Object.fromEntries(Object.entries(i.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? ''])),
        messageId,
        ...(frame ? { invocationId: frame.invocationId } : {}),
      });
      return { MessageId: messageId };
    },
  };
  private readonly topics = new Set<string>();

  constructor(private readonly ctx: SimContext) {}

  addTopic(arn: string): void {
    this.topics.add(arn);
  }
}
