import { ALARM_CONFIGURATION_CHANGE, ALARM_STATE_CHANGE, CLOUDWATCH_SOURCE, parseAlarm } from './alarm';
import { FOLLOW_UP_MARKER, parseFollowUp } from './follow-up';
import { EMR_SERVERLESS_SOURCE, JOB_RUN_RETRY, JOB_RUN_STATE_CHANGE, parseJobRun, parseJobRunRetry } from './job-run';
import { parseOperatorInput } from './operator';
import { isRecord } from './record';
import { reject, show, type Issue } from './schema';
import type { Trigger } from '../trigger';

/**
 * Every way an invocation can start, parsed into a `Trigger`:
 *  - EventBridge "CloudWatch Alarm State Change" (metric, metric-math and composite alarms);
 *  - EventBridge "EMR Serverless Job Run State Change" and "EMR Serverless Job Run Retry";
 *  - a follow-up payload the engine scheduled for itself (`followUpPayload`, follow-up.ts);
 *  - the operator's inputs: approvals, resumes, pause parameter changes (operator.ts).
 *
 * Anything else is rejected with an `InvalidInputError` whose `field` is the path of the first
 * problem and whose `issues` list every problem found. AWS adds fields to its events over time,
 * so the schemas accept unknown fields and validate only what streamfix reads.
 *
 * One module per kind (alarm.ts, job-run.ts, follow-up.ts, operator.ts); this one checks the
 * envelope and hands the input to the one it is.
 */

/** The scheduled sweep's payload is `{"streamfix": "sweep"}`. */
export const SWEEP_MARKER = 'sweep';

const HANDLED: Record<string, string> = {
  [ALARM_STATE_CHANGE]: CLOUDWATCH_SOURCE,
  [JOB_RUN_STATE_CHANGE]: EMR_SERVERLESS_SOURCE,
  [JOB_RUN_RETRY]: EMR_SERVERLESS_SOURCE,
};
const SOURCES = new Set(Object.values(HANDLED));

/** Checks `source` and `detail-type` together; every problem with them is reported. */
function envelopeIssues(source: unknown, detailType: unknown): Issue[] {
  const issues: Issue[] = [];
  const sourceKnown = typeof source === 'string' && SOURCES.has(source);
  if (!sourceKnown) {
    issues.push({
      field: 'source',
      message: `expected "${CLOUDWATCH_SOURCE}" or "${EMR_SERVERLESS_SOURCE}" (or a follow-up payload with streamfix: "${FOLLOW_UP_MARKER}"), got ${show(source)}`,
    });
  }
  if (detailType === ALARM_CONFIGURATION_CHANGE) {
    issues.push({
      field: 'detail-type',
      message: `configuration-change events are not handled: expected "${ALARM_STATE_CHANGE}", got "${ALARM_CONFIGURATION_CHANGE}"`,
    });
  } else if (typeof detailType !== 'string' || HANDLED[detailType] === undefined) {
    issues.push({
      field: 'detail-type',
      message: `expected "${ALARM_STATE_CHANGE}", "${JOB_RUN_STATE_CHANGE}" or "${JOB_RUN_RETRY}", got ${show(detailType)}`,
    });
  } else if (sourceKnown && HANDLED[detailType] !== source) {
    issues.push({
      field: 'detail-type',
      message: `"${detailType}" does not come from source "${String(source)}": expected "${Object.keys(HANDLED).find((k) => HANDLED[k] === source) ?? ''}"`,
    });
  }
  return issues;
}

/**
 * Parses any intake into a `Trigger`. Throws `InvalidInputError` (and nothing else) on any
 * input it does not accept; its `field` names the path of the first problem.
 */
export function parseTrigger(raw: unknown): Trigger {
  if (!isRecord(raw)) {
    reject([
      {
        field: '(root)',
        message: `expected an object (an EventBridge event or a streamfix follow-up payload), got ${show(raw)}`,
      },
    ]);
  }
  if (raw.streamfix === SWEEP_MARKER) return { kind: 'sweep', dedupeKey: 'sweep' };
  // Approvals, resumes and the pause parameters' change events (operator.ts).
  const operator = parseOperatorInput(raw);
  if (operator) return operator;
  if (Object.hasOwn(raw, 'streamfix')) return parseFollowUp(raw);
  const source = raw.source;
  const detailType = raw['detail-type'];
  const issues = envelopeIssues(source, detailType);
  if (issues.length > 0) reject(issues);
  if (detailType === ALARM_STATE_CHANGE) return parseAlarm(raw);
  return detailType === JOB_RUN_RETRY ? parseJobRunRetry(raw) : parseJobRun(raw);
}
