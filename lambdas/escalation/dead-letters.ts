import type { StreamfixConfig } from '../config/schema';
import type { Clock } from '../core/clock';
import { EngineReason } from '../core/decision';
import { parseTrigger } from '../core/events';
import type { Ledger } from '../ledger/ledger';
import type { DeadLetterRecord } from '../ledger/types';
import type { Escalator } from './types';
import { isRecord } from '../util/is-record';

/**
 * Events that never got through reach one SQS queue, in one of three shapes:
 *
 * - Lambda's on-failure destination: an invocation record (AWS Lambda guide, "Capturing records
 *   of Lambda asynchronous invocations": `requestContext.{requestId, functionArn, condition,
 *   approximateInvokeCount}`, `requestPayload`, `responsePayload.{errorType, errorMessage}`);
 * - a rule's dead-letter queue (EventBridge guide, "Using dead-letter queues to process
 *   undelivered events") and a schedule's (EventBridge Scheduler guide, "Configuring a
 *   schedule's dead-letter queue"): the event itself as the body, with message attributes
 *   `ERROR_CODE`, `ERROR_MESSAGE`, `TARGET_ARN`, `RETRY_ATTEMPTS` and `RULE_ARN` or `SCHEDULE_ARN`.
 *
 * Each is recorded once in the ledger (by SQS message id) and paged through the configured
 * escalation with the event and its incident; `streamfix redrive` sends it through the engine
 * again once the cause is fixed.
 */

export interface SqsRecord {
  messageId: string;
  body: string;
  messageAttributes?: Record<string, { stringValue?: string; dataType?: string }>;
  attributes?: Record<string, string>;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A function ARN without its version or alias qualifier (`…:function:name:$LATEST` → `…:function:name`). */
export const unqualified = (arn: string): string => arn.split(':').slice(0, 7).join(':');

/** The dead letter an SQS message carries. */
export function readDeadLetter(r: SqsRecord, nowMs: number): DeadLetterRecord {
  let body: unknown = r.body;
  try {
    body = JSON.parse(r.body) as unknown;
  } catch {
    // not JSON: kept as the text it is
  }
  const attr = (name: string) => text(r.messageAttributes?.[name]?.stringValue);
  const sentMs = Number(r.attributes?.SentTimestamp);
  const atMs = Number.isFinite(sentMs) ? sentMs : nowMs;
  if (isRecord(body) && isRecord(body.requestContext) && 'requestPayload' in body) {
    const ctx = body.requestContext;
    const response = isRecord(body.responsePayload) ? body.responsePayload : {};
    const responseContext = isRecord(body.responseContext) ? body.responseContext : {};
    const arn = text(ctx.functionArn);
    const attempts = Number(ctx.approximateInvokeCount);
    return {
      id: r.messageId,
      atMs,
      source: 'lambda-on-failure',
      event: body.requestPayload,
      status: 'pending',
      ...(arn ? { functionArn: unqualified(arn) } : {}),
      error: {
        type: text(response.errorType) ?? text(responseContext.functionError) ?? 'FunctionError',
        message: text(response.errorMessage) ?? text(ctx.condition) ?? 'the invocation failed every retry',
      },
      ...(Number.isFinite(attempts) ? { attempts } : {}),
    };
  }
  const target = attr('TARGET_ARN');
  const retries = Number(attr('RETRY_ATTEMPTS'));
  return {
    id: r.messageId,
    atMs,
    source: attr('SCHEDULE_ARN') ? 'scheduler-dlq' : 'eventbridge-dlq',
    event: body,
    status: 'pending',
    ...(target ? { functionArn: unqualified(target) } : {}),
    error: { type: attr('ERROR_CODE') ?? 'DeliveryFailed', message: attr('ERROR_MESSAGE') ?? 'the event could not be delivered to its function' },
    ...(Number.isFinite(retries) ? { attempts: retries + 1 } : {}),
  };
}

export interface DeadLetterDeps {
  config: StreamfixConfig;
  ledger: Ledger;
  escalator: Escalator;
  clock: Clock;
}

/** Which playbook or operation a function ARN belongs to (`<prefix>-<id>`). */
function targetOf(config: StreamfixConfig, functionArn: string | undefined): string | undefined {
  const name = functionArn?.split(':')[6];
  return name?.startsWith(`${config.name}-`) ? name.slice(config.name.length + 1) : undefined;
}

/** The incident a dead event belongs to: a follow-up names it; any other event through its delivery claim. */
async function incidentOf(d: DeadLetterRecord, playbook: string | undefined, ledger: Ledger): Promise<{ incidentId?: string; pipeline?: string }> {
  try {
    const t = parseTrigger(d.event);
    if (t.kind === 'follow-up') return { incidentId: t.incidentId, pipeline: t.pipeline };
    if (t.kind === 'sweep' || !playbook) return {};
    const incidentId = await ledger.deliveries.incidentOf(`${playbook}#${t.dedupeKey}`);
    const inc = incidentId ? await ledger.getIncident(incidentId) : undefined;
    return { ...(incidentId ? { incidentId } : {}), ...(inc ? { pipeline: inc.pipeline } : {}) };
  } catch {
    return {};
  }
}

/** Records and pages each dead letter once; a message it could not handle goes back to the queue. */
export async function handleDeadLetters(event: SqsEvent, deps: DeadLetterDeps): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const failures: { itemIdentifier: string }[] = [];
  for (const r of event.Records ?? []) {
    try {
      await handleOne(r, deps);
    } catch {
      failures.push({ itemIdentifier: r.messageId });
    }
  }
  return { batchItemFailures: failures };
}

async function handleOne(r: SqsRecord, { config, ledger, escalator, clock }: DeadLetterDeps): Promise<void> {
  const now = clock.now();
  const read = readDeadLetter(r, now);
  const playbook = targetOf(config, read.functionArn);
  const { incidentId, pipeline } = await incidentOf(read, playbook, ledger);
  const d: DeadLetterRecord = { ...read, ...(playbook ? { playbook } : {}), ...(incidentId ? { incidentId } : {}) };
  if (!(await ledger.deadLetters.record(d))) return; // SQS delivered it again: paged already
  const what = d.source === 'lambda-on-failure' ? `used up Lambda's retries (${d.attempts ?? 3} attempts)` : `could not be delivered (${d.source})`;
  const summary = `an event for ${playbook ?? d.functionArn ?? 'an unknown function'} ${what}: ${d.error.type}: ${d.error.message}`;
  if (incidentId) await ledger.appendTimeline(incidentId, now, 'escalation', `dead letter ${d.id}: ${summary}`, { deadLetter: d.id });
  await escalator.trigger({
    incidentId: incidentId ?? `dead-letter.${d.id}`,
    dedupKey: `${config.name}/dead-letter/${d.id}`,
    pipeline: pipeline ?? 'unknown',
    playbook: playbook ?? 'unknown',
    severity: 'error',
    decision: 'escalate',
    reason: EngineReason.DEAD_LETTER,
    summary,
    evidence: {
      deadLetterId: d.id,
      source: d.source,
      errorType: d.error.type,
      attempts: d.attempts ?? null,
      incidentId: incidentId ?? null,
      event: JSON.stringify(d.event).slice(0, 2_000),
    },
    actionsTaken: [],
    recommendation: {
      summary: 'fix the cause named by the error, then send the event through the engine again (dedupe included)',
      command: `streamfix redrive --id ${d.id}`,
    },
    openedAt: new Date(d.atMs).toISOString(),
  });
}
