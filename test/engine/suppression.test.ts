import { describe, expect, it } from 'vitest';
import { parseTrigger } from '../../lambdas/core/events';
import { afterHold, alarmHold, heldBy, SuppressionReason, UNKNOWN_HOLD_RECHECK_SECONDS } from '../../lambdas/engine/suppression';
import type { AlarmTrigger, FollowUpTrigger } from '../../lambdas/core/trigger';
import { awsSample } from '../fidelity/samples';

const START = Date.parse('2026-01-01T10:00:00.000Z');
const END = Date.parse('2026-01-01T12:00:00.000Z');
const mute = { mutedByArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm-mute-rule:nightly', startMs: START, endMs: END };

describe('Module: suppression', () => {
  describe('Function: heldBy', () => {
    it('holds a state change inside the mute window, to the millisecond at each end, and rechecks 30 s after it ends', () => {
      expect(heldBy({ mute }, START - 1, START)).toBeUndefined();
      expect(heldBy({ mute }, START, START)).toMatchObject({ kind: 'mute', untilMs: END, recheckSeconds: 7_200 + 30 });
      expect(heldBy({ mute }, END - 1, END - 1)).toMatchObject({ kind: 'mute', recheckSeconds: 1 + 30 });
      expect(heldBy({ mute }, END, END)).toBeUndefined();
    });

    it('holds a composite alarm while actionsSuppressedBy says so: the wait period from the state change, the extension period, or an unknown end', () => {
      const suppressor = { alarm: 'Maintenance', waitPeriodSeconds: 120, extensionPeriodSeconds: 180 };
      expect(heldBy({ actionsSuppressedBy: 'WaitPeriod', suppressor }, START, START + 20_000)).toMatchObject({
        untilMs: START + 120_000,
        recheckSeconds: 100 + 30,
      });
      expect(heldBy({ actionsSuppressedBy: 'ExtensionPeriod', suppressor }, START, START)).toMatchObject({ recheckSeconds: 180 + 30 });
      expect(heldBy({ actionsSuppressedBy: 'Alarm', suppressor }, START, START)).toMatchObject({ recheckSeconds: UNKNOWN_HOLD_RECHECK_SECONDS });
      expect(heldBy({ actionsSuppressedBy: 'None', suppressor }, START, START)).toBeUndefined();
      expect(heldBy({ suppressor }, START, START)).toBeUndefined();
    });
  });

  describe('Function: afterHold', () => {
    it('ends when the alarm left ALARM, holds again while still suppressed, else hands the alarm to the playbook', () => {
      expect(afterHold('a', { state: 'OK' }, undefined)).toMatchObject({ kind: 'ignore', reason: SuppressionReason.NO_LONGER_IN_ALARM });
      expect(afterHold('a', undefined, undefined)).toMatchObject({ kind: 'ignore', reason: SuppressionReason.NO_LONGER_IN_ALARM });
      expect(afterHold('a', { state: 'ALARM', actionsSuppressedBy: 'Alarm' }, 180)).toMatchObject({ kind: 'recheck', reason: SuppressionReason.SUPPRESSED });
      expect(afterHold('a', { state: 'ALARM', actionsSuppressedBy: 'None' }, 180)).toBe('handle');
      expect(afterHold('a', { state: 'ALARM' }, undefined)).toBe('handle');
    });
  });

  describe('Function: alarmHold', () => {
    const held = (json: Record<string, unknown>, at: string) => {
      const e = structuredClone(json) as { detail: { state: { timestamp: string }; muteDetail: Record<string, string> } };
      e.detail.state.timestamp = at;
      e.detail.muteDetail = { mutedByArn: mute.mutedByArn, muteWindowStart: '2026-01-01T10:00:00.000+0000', muteWindowEnd: '2026-01-01T12:00:00.000+0000' };
      return parseTrigger(e) as AlarmTrigger;
    };

    it("does not hold AWS's sample events: their mute window does not cover their state change", async () => {
      for (const name of ['alarm-state-change-metric', 'alarm-state-change-metric-math', 'alarm-state-change-anomaly-detection']) {
        expect(await alarmHold(parseTrigger(awsSample('cloudwatch', name).event), undefined, START, async () => undefined)).toBeUndefined();
      }
    });

    it('holds the composite sample (WaitPeriod) and a muted alarm; reads the held alarm named by the hold on its recheck', async () => {
      const composite = await alarmHold(
        parseTrigger(awsSample('cloudwatch', 'alarm-state-change-composite-suppressor').event),
        undefined,
        START,
        async () => undefined,
      );
      expect(composite).toMatchObject({
        kind: 'recheck',
        reason: SuppressionReason.SUPPRESSED,
        evidence: { alarmName: 'ServiceAggregatedAlarm', suppressorExtensionSeconds: 180 },
      });
      const t = held(awsSample('cloudwatch', 'alarm-state-change-metric').event, '2026-01-01T11:00:00.000+0000');
      const d = await alarmHold(t, undefined, Date.parse('2026-01-01T11:00:01Z'), async () => undefined);
      expect(d).toMatchObject({ kind: 'recheck', reason: SuppressionReason.MUTED, evidence: { alarmName: 'ServerCpuTooHigh' } });
      const recheck: FollowUpTrigger = {
        kind: 'follow-up',
        dedupeKey: 'k',
        purpose: 'recheck',
        incidentId: 'i',
        pipeline: 'p',
        playbook: 'job-failed',
        attempt: 1,
      };
      const asked: string[] = [];
      const read = (state: string) => async (name: string) => {
        asked.push(name);
        return { state };
      };
      expect(await alarmHold(recheck, d, END + 30_000, read('ALARM'))).toBeUndefined();
      expect(await alarmHold(recheck, d, END + 30_000, read('OK'))).toMatchObject({ kind: 'ignore', reason: SuppressionReason.NO_LONGER_IN_ALARM });
      expect(asked).toEqual(['ServerCpuTooHigh', 'ServerCpuTooHigh']);
      // A recheck the playbook asked for (not a hold) reads nothing.
      expect(await alarmHold(recheck, { reason: 'LAG_CATCHING_UP', evidence: {} }, END, read('ALARM'))).toBeUndefined();
      expect(asked).toHaveLength(2);
    });
  });
});
