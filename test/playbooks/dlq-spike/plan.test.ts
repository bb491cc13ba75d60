import { describe, expect, it } from 'vitest';
import type { Trigger } from '../../../lambdas/core/trigger';
import { changeIsSuspect, DlqSpikeReason, planDlqSpike, replayCommand, replayFrom } from '../../../lambdas/playbooks/dlq-spike/plan';
import type { DlqSpikeEvidence } from '../../../lambdas/playbooks/dlq-spike/diagnose';
import { change, config, drift, evidence, pipeline, settings, T0 } from './fixtures';

const trigger = { kind: 'alarm', alarmName: 'streamfix-orders-dlq-spike-records' } as unknown as Trigger;
const plan = (e: DlqSpikeEvidence, nowMs = T0, s = settings) =>
  planDlqSpike({ pipelineName: 'orders', pipeline, settings: s, trigger, evidence: e, nowMs, incidentId: 'orders.dlq-spike.x' });
const withBounds = (b: Partial<typeof settings.bounds>) => ({ ...settings, bounds: { ...settings.bounds, ...b } });

describe('Function: planDlqSpike', () => {
  it('always escalates, whatever the evidence', () => {
    for (const e of [
      evidence({}),
      evidence({ timeout: 90 }),
      evidence({ parse_error: 80 }, { drift: { ...evidence({}).drift, ...drift } }),
      evidence({ duplicate: 100 }),
    ]) {
      expect(plan(e).kind).toBe('escalate');
    }
  });

  it('with no readable record, says so and points at the DLQ writer', () => {
    const d = plan(evidence({}));
    expect(d).toMatchObject({ reason: DlqSpikeReason.SAMPLE_EMPTY, severity: 'error' });
    expect(d.kind === 'escalate' && d.recommendation.command).toBe(`aws s3 ls ${pipeline.dlq!.s3} --recursive`);
  });

  describe('the enrichment service', () => {
    it('is blamed when timeout + external_api_error reach the dominant share (50 %), not the data', () => {
      const d = plan(evidence({ timeout: 30, external_api_error: 20, parse_error: 50 }));
      expect(d.reason).toBe(DlqSpikeReason.ENRICHMENT_FAILING);
      expect(d.summary).toContain('points at the enrichment service, not at the data');
      expect(d.kind === 'escalate' && d.recommendation.command).toContain('--error-types timeout,external_api_error');
    });

    it('is not blamed one record under the share', () => {
      expect(plan(evidence({ timeout: 49, parse_error: 51 })).reason).toBe(DlqSpikeReason.BAD_DATA);
    });

    it("is blamed even when the job changed: timeouts are not the new code's data", () => {
      expect(plan(evidence({ timeout: 80, parse_error: 20 }, { change: change(T0 - 600_000), recentRuns: 1 })).reason).toBe(DlqSpikeReason.ENRICHMENT_FAILING);
    });
  });

  describe('a changed job run', () => {
    it('with schema drift: names the new field, the rename and the run that introduced it', () => {
      const d = plan(
        evidence({ validation_error: 95, parse_error: 5 }, { drift: { ...evidence({}).drift, ...drift }, change: change(T0 - 600_000), recentRuns: 1 }),
      );
      expect(d.reason).toBe(DlqSpikeReason.SCHEMA_CHANGE_AFTER_DEPLOYMENT);
      expect(d.summary).toContain('`cust_id`');
      expect(d.summary).toContain('`customer_id` → `cust_id`');
      expect(d.summary).toContain('00fnewrun0000001');
      expect(d.summary).toContain('orders_stream_v42.py');
      expect(d.evidence).toMatchObject({
        newFields: 'cust_id',
        likelyRenames: 'customer_id->cust_id',
        changedJobRunId: '00fnewrun0000001',
        changeIsSuspect: true,
      });
    });

    it("started at the alarm's very millisecond is a suspect; one millisecond later it is not", () => {
      const at = T0 - 120_000;
      expect(changeIsSuspect(evidence({ parse_error: 10 }, { change: change(at) }), T0)).toBe(true);
      expect(changeIsSuspect(evidence({ parse_error: 10 }, { change: change(at + 1) }), T0)).toBe(false);
      const later = plan(evidence({ validation_error: 90 }, { drift: { ...evidence({}).drift, ...drift }, change: change(at + 1) }));
      expect(later.reason).toBe(DlqSpikeReason.SCHEMA_DRIFT);
    });

    it("is judged by the failing records' job_run_id when the envelope has it (half or more)", () => {
      const base = evidence({ parse_error: 10 }, { change: change(T0 + 60_000) });
      const half = { ...base, breakdown: { ...base.breakdown, byJobRun: { '00fnewrun0000001': 5, other: 5 } } };
      const less = { ...base, breakdown: { ...base.breakdown, byJobRun: { '00fnewrun0000001': 4, other: 5 } } };
      expect(changeIsSuspect(half, T0)).toBe(true);
      expect(changeIsSuspect(less, T0)).toBe(false);
    });

    it('without drift: the spike follows the change; roll back or fix forward, then replay', () => {
      const d = plan(evidence({ parse_error: 70, validation_error: 30 }, { change: change(T0 - 600_000), recentRuns: 1 }));
      expect(d.reason).toBe(DlqSpikeReason.AFTER_DEPLOYMENT);
      expect(d.kind === 'escalate' && d.recommendation.summary).toContain('00foldrun0000001');
    });
  });

  it('schema drift without a job change: the source changed', () => {
    const d = plan(evidence({ validation_error: 100 }, { drift: { ...evidence({}).drift, ...drift } }));
    expect(d.reason).toBe(DlqSpikeReason.SCHEMA_DRIFT);
    expect(d.summary).toContain('the source changed its schema');
  });

  it('duplicates dominating: never recommends sending them again, only a dry run', () => {
    const d = plan(evidence({ duplicate: 50, parse_error: 50 }));
    expect(d.reason).toBe(DlqSpikeReason.DUPLICATES);
    if (d.kind !== 'escalate') throw new Error('expected escalate');
    expect(d.recommendation.command).toContain('--error-types duplicate');
    expect(d.recommendation.command).not.toContain('--execute');
  });

  it('no cause dominating: a mix, each type listed', () => {
    const d = plan(evidence({ parse_error: 30, duplicate: 30, other: 40 }, {}), T0, withBounds({ dominantShare: 0.6 }));
    expect(d.reason).toBe(DlqSpikeReason.MIXED);
    expect(d.summary).toContain('other 40');
  });

  it.each([
    [99, 'warning'],
    [100, 'error'],
    [999, 'error'],
    [1_000, 'critical'],
  ] as const)('takes its severity from the rate: %s records/min → %s', (rate, severity) => {
    const d = plan(evidence({ parse_error: 10 }, { alarm: { recordsPerMinute: rate, stateAtMs: T0 - 120_000 } }));
    expect(d.kind === 'escalate' && d.severity).toBe(severity);
  });

  it('carries the breakdown, masked samples and the exact replay command to the person paged', () => {
    const e = evidence({ validation_error: 60, parse_error: 40 });
    const d = plan({
      ...e,
      breakdown: {
        ...e.breakdown,
        samples: [{ errorType: 'validation_error', errorCode: 'validation_error', errorMessage: 'm', failedAt: 'x', payload: '{"password":"***"}' }],
      },
    });
    if (d.kind !== 'escalate') throw new Error('expected escalate');
    expect(d.recommendation.command).toBe(
      'streamfix replay --pipeline orders --source dlq --from 2026-11-22T10:22:00.000Z --error-types parse_error,validation_error --target kafka --execute',
    );
    expect(d.recommendation.detail).toMatchObject({ breakdown: { validation_error: 60, parse_error: 40 }, samples: [{ payload: '{"password":"***"}' }] });
    expect((d.recommendation.detail as { dryRunFirst: string }).dryRunFirst).not.toContain('--execute');
    expect(d.evidence).toMatchObject({ validationErrorRecords: 60, parseErrorRecords: 40, sampledRecords: 100, dlqRecordsPerMinute: 450 });
  });
});

describe('Function: replayFrom / replayCommand', () => {
  it('starts a whole minute before the earliest of: the alarm minus the quiet window, the oldest failure, the suspect run', () => {
    const e = evidence({ parse_error: 1 });
    expect(new Date(replayFrom(e, settings, T0)).toISOString()).toBe('2026-11-22T10:22:00.000Z');
    expect(new Date(replayFrom({ ...e, breakdown: { ...e.breakdown, oldestAtMs: Date.parse('2026-11-22T09:59:30.500Z') } }, settings, T0)).toISOString()).toBe(
      '2026-11-22T09:58:00.000Z',
    );
    expect(new Date(replayFrom(e, settings, T0, change(Date.parse('2026-11-22T10:00:00Z')))).toISOString()).toBe('2026-11-22T09:59:00.000Z');
  });

  it('builds the command a person runs, dry run unless --execute', () => {
    expect(replayCommand('orders', { fromMs: 0, types: ['timeout'], target: 'firehose', execute: false })).toBe(
      'streamfix replay --pipeline orders --source dlq --from 1970-01-01T00:00:00.000Z --error-types timeout --target firehose',
    );
    expect(config.pipelines.orders!.source.kind).toBe('msk');
  });
});
