import type { SimContext } from './context';
import type { SimLambda } from './lambda';
import { matchesPattern, type EventPattern } from './pattern';

/**
 * EventBridge (default bus): rules with event patterns and a function target. A matching
 * event is delivered to the target asynchronously after a small delay, once per matching rule,
 * and at least once: a fault can make the next deliveries arrive several times, one after the
 * other or concurrently.
 */

export interface SimRule {
  name: string;
  pattern: EventPattern;
  targetArn: string;
}

interface DuplicateFault {
  remaining: number;
  times: number;
  concurrent: boolean;
  source?: string;
}

export class SimEventBridge {
  private readonly rules: SimRule[] = [];
  private duplicate: DuplicateFault | undefined;

  constructor(
    private readonly ctx: SimContext,
    private readonly lambda: SimLambda,
    private readonly deliveryDelayMs = 1_000,
  ) {}

  addRule(rule: SimRule): void {
    this.rules.push(rule);
  }

  /** The next `count` deliveries (of events from `source`, when given) arrive `times` times. */
  duplicateDeliveries(f: { times: number; concurrent: boolean; count: number; source?: string }): void {
    this.duplicate = { remaining: f.count, times: f.times, concurrent: f.concurrent, ...(f.source ? { source: f.source } : {}) };
  }

  /** PutEvents from an AWS service: routed to every rule whose pattern matches. */
  put(event: Record<string, unknown>): void {
    for (const rule of this.rules) {
      if (matchesPattern(rule.pattern, event)) this.deliver(rule, event);
    }
  }

  private deliver(rule: SimRule, event: Record<string, unknown>): void {
    const { clock, record } = this.ctx;
    let times = 1;
    let concurrent = false;
    const d = this.duplicate;
    if (d && d.remaining > 0 && (!d.source || d.source === event.source)) {
      d.remaining--;
      times = d.times;
      concurrent = d.concurrent;
    }
    const what = `${String(event['detail-type'])} ${String(event.id)}`;
    const send = (k: number) => {
      record.event(clock.now(), 'delivery', `${rule.name} → ${what}${times > 1 ? ` (copy ${k + 1} of ${times}${concurrent ? ', concurrent' : ''})` : ''}`, {
        rule: rule.name,
        eventId: event.id,
      });
      this.lambda.invokeAsync(rule.targetArn, event, `eventbridge:${rule.name}`);
    };
    if (concurrent) {
      // One task starts every copy: they run side by side, none waits for another to settle.
      clock.after(this.deliveryDelayMs, `deliver ${rule.name} ×${times}`, () => {
        for (let k = 0; k < times; k++) send(k);
      });
      return;
    }
    for (let k = 0; k < times; k++) clock.after(this.deliveryDelayMs + k * 1_000, `deliver ${rule.name}`, () => send(k));
  }
}
