import type { SimContext } from './context';
import type { SimLambda } from './lambda';

/**
 * A standard SQS queue as the dead-letter side of the platform uses it: Lambda's on-failure
 * destination, an EventBridge Scheduler schedule's dead-letter queue, and an event source
 * mapping that hands its messages to one function as an SQS event (`Records[].{messageId,
 * body, messageAttributes, attributes.SentTimestamp}`; AWS Lambda guide, "Using Lambda with
 * Amazon SQS"). The mapping polls shortly after a message arrives; a batch the function fails is
 * delivered again through Lambda's retries here (the real mapping waits for the visibility
 * timeout: the drill only needs it to arrive again).
 */

export interface SimMessage {
  messageId: string;
  atMs: number;
  body: string;
  attributes: Record<string, string>;
}

const POLL_DELAY_MS = 1_000;

export class SimQueue {
  readonly received: SimMessage[] = [];
  private consumerArn: string | undefined;

  constructor(
    private readonly ctx: SimContext,
    private readonly lambda: SimLambda,
    readonly arn: string,
  ) {}

  /** The event source mapping: every message goes to this function. */
  consumeWith(functionArn: string): void {
    this.consumerArn = functionArn;
  }

  send(body: string, attributes: Record<string, string> = {}): void {
    const { clock, ids, record } = this.ctx;
    const m: SimMessage = { messageId: ids.uuid(), atMs: clock.now(), body, attributes };
    this.received.push(m);
    record.event(m.atMs, 'dead-letter', `${this.arn.split(':').pop()} ← message ${m.messageId}${attributes.ERROR_CODE ? ` (${attributes.ERROR_CODE})` : ''}`);
    const consumer = this.consumerArn;
    if (!consumer) return;
    clock.after(POLL_DELAY_MS, `sqs ${this.arn}`, () => {
      const event = {
        Records: [
          {
            messageId: m.messageId,
            body: m.body,
            attributes: { SentTimestamp: String(m.atMs), ApproximateReceiveCount: '1' },
            messageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k, { stringValue: v, dataType: 'String' }])),
            eventSource: 'aws:sqs',
            eventSourceARN: this.arn,
          },
        ],
      };
      this.lambda.invokeAsync(consumer, event, `sqs:${this.arn.split(':').pop()}`);
    });
  }
}
