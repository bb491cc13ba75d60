import type { KafkaMessage, KafkaProducerPort, SendOutcome } from '../../lambdas/adapters/kafka';
import type { SimClock } from '../sim/clock';
import type { Chaos, ChaosOptions } from './chaos';

/**
 * The proof's faults on a replay's Kafka sends (the producer is no SDK client, so the chaos
 * plugin never sees it), drawn and killed like the SDK calls:
 *
 * - at the fault rate: the whole batch fails, retriable (`REQUEST_TIMED_OUT` before the write,
 *   `NOT_LEADER_FOR_PARTITION`), nothing written; or the broker wrote it and the answer was lost
 *   (a request timeout after the write: the producer reports every message failed, retriable);
 *   or part of the batch fails, retriable, those messages not written.
 * - slow sends (1–8 simulated seconds), and the kill point (before the send reaches the
 *   broker, or after the broker acknowledged it).
 *
 * A lost answer is the Kafka protocol's own ambiguity: "there is no way to tell if the initial
 * write request succeeded before the disruption, a retry can result in a duplicate message"
 * (Redpanda docs, "Idempotent producers"; the replay's kafkajs producer is not idempotent). Such
 * a send is recorded: the records it held may be there twice, within the replay's documented
 * window (one batch per crash or lost answer).
 */

export interface KafkaFaultStats {
  sends: number;
  failed: number;
  partial: number;
  lostAnswers: number;
  slow: number;
  /** Sends whose answer was lost after the broker wrote them: the replay ids they held. */
  lost: { invocationId?: string; replayIds: string[] }[];
}

export const emptyKafkaFaultStats = (): KafkaFaultStats => ({ sends: 0, failed: 0, partial: 0, lostAnswers: 0, slow: 0, lost: [] });

const failed = (code: string, message: string): SendOutcome => ({ ok: false, code, message: `${message} (injected by the proof)`, retriable: true });

export function faultyProducer(chaos: Chaos, inner: KafkaProducerPort, opts: ChaosOptions, clock: SimClock, stats: KafkaFaultStats): KafkaProducerPort {
  return {
    async send(topic: string, messages: KafkaMessage[]): Promise<SendOutcome[]> {
      const call = chaos.outsideSdkCall();
      if (call.killed) return chaos.hangKilled();
      if (call.killHere && call.phase === 'before') return chaos.killOutside('kafka', 'Send');
      stats.sends++;
      const draw = call.draw;
      const u = draw();
      let out: SendOutcome[];
      if (u < opts.faultRate) {
        const k = draw();
        if (k < 0.5) {
          stats.failed++;
          await clock.sleep(1_000 + Math.round(draw() * 9_000));
          out = messages.map(() => failed(k < 0.25 ? 'REQUEST_TIMED_OUT' : 'NOT_LEADER_FOR_PARTITION', 'the batch was not written'));
        } else if (k < 0.75) {
          stats.lostAnswers++;
          await inner.send(topic, messages);
          await clock.sleep(5_000 + Math.round(draw() * 10_000));
          stats.lost.push({
            ...(call.invocationId ? { invocationId: call.invocationId } : {}),
            replayIds: messages.map((m) => m.headers?.['streamfix-replay-id'] ?? ''),
          });
          out = messages.map(() => failed('REQUEST_TIMED_OUT', 'the broker wrote the batch; its answer was lost'));
        } else {
          stats.partial++;
          const fail = messages.map(() => draw() < 0.5);
          if (!fail.includes(true) && fail.length > 0) fail[0] = true;
          const sent = await inner.send(
            topic,
            messages.filter((_, i) => !fail[i]),
          );
          let j = 0;
          out = messages.map((_, i) => (fail[i] ? failed('NOT_LEADER_FOR_PARTITION', 'this message was not written') : (sent[j++] ?? { ok: true })));
        }
      } else {
        if (u < opts.faultRate + opts.slowRate) {
          stats.slow++;
          await clock.sleep(1_000 + Math.round(draw() * 7_000));
        }
        out = await inner.send(topic, messages);
      }
      if (call.killHere) return chaos.killOutside('kafka', 'Send');
      return out;
    },
    disconnect: () => inner.disconnect(),
  };
}
