import { ignore, recheck, type Decision, type Evidence } from '../core/decision';
import type { AlarmSuppression, Trigger } from '../core/trigger';

/**
 * When CloudWatch itself holds an alarm's actions, streamfix holds too: a maintenance window
 * someone set in CloudWatch is a pause, recorded, with no action and no page. When the hold is
 * over and the alarm is still in ALARM, the alarm is handled as usual.
 *
 * Two holds, as the CloudWatch User Guide documents them:
 * - an alarm mute rule ("Configure alarm mute rules"; AWS::CloudWatch::AlarmMuteRule: "targeted
 *   alarms continue to evaluate metrics and transition between states, but their configured
 *   actions ... are muted"): the state change event carries `muteDetail` with the rule and its
 *   window. A window that does not cover the state change holds nothing (AWS's sample events
 *   carry one dated 2026 on changes of 2019).
 * - a composite alarm's actions suppressor ("Alarm events and EventBridge", composite alarm
 *   sample): `state.actionsSuppressedBy` is `WaitPeriod`, `ExtensionPeriod` or `Alarm` while the
 *   actions are suppressed, with the suppressor's wait and extension periods in `configuration`.
 *
 * Neither hold's end is announced by an event (the alarm stays in ALARM), so the incident
 * rechecks when the hold should be over and reads the alarm then (DescribeAlarms: its state and,
 * for a composite alarm, ActionsSuppressedBy). Pure, except `alarmHold`, which makes that read.
 */

export const SuppressionReason = {
  MUTED: 'ALARM_MUTED',
  SUPPRESSED: 'ALARM_ACTIONS_SUPPRESSED',
  NO_LONGER_IN_ALARM: 'ALARM_NO_LONGER_IN_ALARM',
} as const;

const HOLD_REASONS: ReadonlySet<string> = new Set([SuppressionReason.MUTED, SuppressionReason.SUPPRESSED]);

/** How long to wait when a hold's end is not known (a suppressor alarm still in ALARM). */
export const UNKNOWN_HOLD_RECHECK_SECONDS = 600;
/** After the announced end of a hold, before reading the alarm again. */
const SETTLE_SECONDS = 30;

export interface Hold {
  kind: 'mute' | 'suppressor';
  /** The mute rule's ARN, or the suppression state (`WaitPeriod`, `ExtensionPeriod`, `Alarm`). */
  by: string;
  /** When the hold ends, if known (ms). */
  untilMs?: number;
  /** Seconds until the incident looks again. */
  recheckSeconds: number;
}

const SUPPRESSED = new Set(['WaitPeriod', 'ExtensionPeriod', 'Alarm']);

/** Whether CloudWatch holds the alarm's actions for the state change at `atMs`, and until when. */
export function heldBy(s: AlarmSuppression | undefined, atMs: number, nowMs: number): Hold | undefined {
  if (!s) return undefined;
  if (s.mute && s.mute.startMs <= atMs && atMs < s.mute.endMs) {
    return {
      kind: 'mute',
      by: s.mute.mutedByArn,
      untilMs: s.mute.endMs,
      recheckSeconds: Math.max(1, Math.ceil((s.mute.endMs - nowMs) / 1000)) + SETTLE_SECONDS,
    };
  }
  const by = s.actionsSuppressedBy;
  if (by === undefined || !SUPPRESSED.has(by)) return undefined;
  const wait = s.suppressor?.waitPeriodSeconds;
  const extension = s.suppressor?.extensionPeriodSeconds;
  if (by === 'WaitPeriod' && wait !== undefined) {
    const untilMs = atMs + wait * 1000;
    return { kind: 'suppressor', by, untilMs, recheckSeconds: Math.max(1, Math.ceil((untilMs - nowMs) / 1000)) + SETTLE_SECONDS };
  }
  if (by === 'ExtensionPeriod' && extension !== undefined) return { kind: 'suppressor', by, recheckSeconds: extension + SETTLE_SECONDS };
  return { kind: 'suppressor', by, recheckSeconds: Math.max(UNKNOWN_HOLD_RECHECK_SECONDS, (extension ?? 0) + SETTLE_SECONDS) };
}

function holdEvidence(alarmName: string, h: Hold, extensionSeconds: number | undefined): Evidence {
  return {
    alarmName,
    suppressorExtensionSeconds: extensionSeconds ?? null,
    heldBy: h.kind,
    holder: h.by,
    holdEndsAt: h.untilMs !== undefined ? new Date(h.untilMs).toISOString() : null,
    recheckAfterSeconds: h.recheckSeconds,
  };
}

/** The decision for an alarm CloudWatch holds: look again once the hold should be over. */
export function holdDecision(alarmName: string, h: Hold, extensionSeconds?: number): Decision {
  const until = h.untilMs !== undefined ? ` until ${new Date(h.untilMs).toISOString()}` : '';
  const ev = holdEvidence(alarmName, h, extensionSeconds);
  return h.kind === 'mute'
    ? recheck(
        SuppressionReason.MUTED,
        `alarm ${alarmName} is muted by ${h.by}${until}: no action, no page; looked at again when the mute ends`,
        ev,
        h.recheckSeconds,
      )
    : recheck(
        SuppressionReason.SUPPRESSED,
        `the actions of alarm ${alarmName} are suppressed (${h.by})${until}: no action, no page; looked at again after the suppression`,
        ev,
        h.recheckSeconds,
      );
}

export interface AlarmNow {
  state: string;
  actionsSuppressedBy?: string;
}

/**
 * A recheck of a held alarm: ended (no longer in ALARM: nothing to do), still held (look again),
 * or `handle` (in ALARM, no longer held: the playbook diagnoses it now).
 */
export function afterHold(alarmName: string, now: AlarmNow | undefined, extensionSeconds: number | undefined): Decision | 'handle' {
  if (now?.state !== 'ALARM') {
    return ignore(SuppressionReason.NO_LONGER_IN_ALARM, `alarm ${alarmName} is ${now?.state ?? 'gone'} now that CloudWatch no longer holds it: nothing to do`, {
      alarmName,
      alarmState: now?.state ?? null,
    });
  }
  if (now.actionsSuppressedBy !== undefined && SUPPRESSED.has(now.actionsSuppressedBy)) {
    return holdDecision(
      alarmName,
      { kind: 'suppressor', by: now.actionsSuppressedBy, recheckSeconds: Math.max(UNKNOWN_HOLD_RECHECK_SECONDS, (extensionSeconds ?? 0) + SETTLE_SECONDS) },
      extensionSeconds,
    );
  }
  return 'handle';
}

/**
 * The engine's one call: a decision when CloudWatch holds the alarm, undefined when the playbook
 * goes on. A new alarm event is judged from the event; a recheck scheduled by a hold reads the
 * held alarm now (the one the hold decision names: the incident may have been opened by
 * another trigger).
 */
export async function alarmHold(
  trigger: Trigger,
  previous: Pick<Decision, 'reason' | 'evidence'> | undefined,
  nowMs: number,
  readAlarm: (name: string) => Promise<AlarmNow | undefined>,
): Promise<Decision | undefined> {
  if (trigger.kind === 'alarm') {
    if (trigger.state !== 'ALARM') return undefined;
    const h = heldBy(trigger.suppression, trigger.stateAtMs, nowMs);
    return h ? holdDecision(trigger.alarmName, h, trigger.suppression?.suppressor?.extensionPeriodSeconds) : undefined;
  }
  if (trigger.kind !== 'follow-up' || trigger.purpose !== 'recheck' || !previous || !HOLD_REASONS.has(previous.reason)) return undefined;
  const name = previous.evidence.alarmName;
  if (typeof name !== 'string') return undefined;
  const extension = previous.evidence.suppressorExtensionSeconds;
  const d = afterHold(name, await readAlarm(name), typeof extension === 'number' ? extension : undefined);
  return d === 'handle' ? undefined : d;
}
