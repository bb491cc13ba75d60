import { describe, expect, it } from 'vitest';
import {
  SNS_MESSAGE_MAX_BYTES,
  pagerDutyChange,
  pagerDutyResolve,
  pagerDutyTrigger,
  snsChangeMessage,
  snsMessage,
  snsResolveMessage,
} from '../../lambdas/escalation/format';
import type { ChangeNotice, EscalationPayload, ResolvePayload } from '../../lambdas/escalation/types';

/** A command with quotes, JSON and a line continuation: it must come out byte for byte. */
const COMMAND = [
  'aws emr-serverless start-job-run --application-id 00f1abc2de3f4g5h \\',
  '  --execution-role-arn arn:aws:iam::123456789012:role/orders-job \\',
  `  --job-driver '{"sparkSubmit":{"entryPoint":"s3://code/orders.py","sparkSubmitParameters":"--conf spark.executor.memory=32g"}}'`,
].join('\n');

const payload: EscalationPayload = {
  incidentId: 'inc-0001',
  dedupKey: 'streamfix/orders/job-failed/inc-0001',
  pipeline: 'orders',
  playbook: 'job-failed',
  severity: 'critical',
  decision: 'escalate',
  reason: 'JOB_FAILED_OOM',
  summary: 'Spark job failed 3 times in 30 minutes with OutOfMemoryError',
  evidence: {
    failedRunsCount: 3,
    windowMinutes: 30,
    executorMemoryGb: 16,
    checkpointAgeSeconds: 412,
    lagRecords: 1250000,
    lastRunId: '00fabc',
    checkpointExists: true,
    lastSuccessAt: null,
  },
  actionsTaken: [{ type: 'emr-serverless:StartJobRun', description: 'Restart the orders job', status: 'failed', summary: 'run 00fabd failed after 4 minutes' }],
  recommendation: {
    summary: 'Raise executor memory to 32 GB and restart',
    command: COMMAND,
    detail: { executorMemoryGb: { from: 16, to: 32 } },
  },
  openedAt: '2025-01-01T00:00:00.000Z',
};

const jsonSection = (message: string): unknown => {
  const at = message.indexOf('----- payload (JSON) -----\n');
  expect(at).toBeGreaterThan(0);
  return JSON.parse(message.slice(at + '----- payload (JSON) -----\n'.length));
};

const isSnsSubject = (subject: string) => subject.length <= 100 && !/[\r\n]/.test(subject) && /^[\x20-\x7e]+$/.test(subject) && subject.trim() === subject;

describe('Function: pagerDutyTrigger', () => {
  it('tags the summary with streamfix and the pipeline/playbook', () => {
    // Act
    const event = pagerDutyTrigger(payload, 'streamfix');

    // Assess
    expect(event.payload?.summary).toBe('[streamfix] orders/job-failed: Spark job failed 3 times in 30 minutes with OutOfMemoryError');
    expect(event.dedup_key).toBe(payload.dedupKey);
    expect(event).not.toHaveProperty('routing_key');
  });

  it('carries the evidence numbers and the exact command in custom_details', () => {
    // Act
    const details = pagerDutyTrigger(payload, 'streamfix').payload?.custom_details as Record<string, unknown>;

    // Assess
    expect(details.evidence).toEqual(payload.evidence);
    expect(details.recommendation).toEqual({
      summary: 'Raise executor memory to 32 GB and restart',
      command: COMMAND,
      detail: { executorMemoryGb: { from: 16, to: 32 } },
    });
    expect(details.actions_taken).toEqual(payload.actionsTaken);
    expect(details.incident_id).toBe('inc-0001');
    expect(details.decision).toBe('escalate');
    expect(details.reason).toBe('JOB_FAILED_OOM');
  });

  it('keeps the summary within 1024 characters', () => {
    // Act
    const event = pagerDutyTrigger({ ...payload, summary: 'z'.repeat(3000) }, 'streamfix');

    // Assess
    expect(event.payload?.summary.length).toBeLessThanOrEqual(1024);
  });

  it('cuts long evidence strings but never the command', () => {
    // Prepare
    const longCommand = `aws s3 cp ${'s3://bucket/key '.repeat(400)}`;
    const p = { ...payload, evidence: { errorMessage: 'e'.repeat(50_000) }, recommendation: { summary: 'copy', command: longCommand } };

    // Act
    const details = pagerDutyTrigger(p, 'streamfix').payload?.custom_details as {
      evidence: Record<string, string>;
      recommendation: { command: string };
    };

    // Assess
    expect(details.evidence.errorMessage?.length).toBeLessThanOrEqual(1000);
    expect(details.recommendation.command).toBe(longCommand);
  });

  it('replaces an oversized recommendation detail with a cut copy of its JSON', () => {
    // Act
    const details = pagerDutyTrigger({ ...payload, recommendation: { summary: 'x', detail: { policy: 'p'.repeat(20_000) } } }, 'streamfix').payload
      ?.custom_details as { recommendation: { detail: { truncated: boolean; json: string } } };

    // Assess
    expect(details.recommendation.detail.truncated).toBe(true);
    expect(details.recommendation.detail.json.length).toBeLessThanOrEqual(4000);
  });
});

describe('Function: pagerDutyResolve', () => {
  it('names only the action and the dedup key', () => {
    const r: ResolvePayload = { incidentId: 'inc-0001', dedupKey: payload.dedupKey, pipeline: 'orders', playbook: 'job-failed', summary: 'OK' };
    expect(pagerDutyResolve(r)).toEqual({ event_action: 'resolve', dedup_key: payload.dedupKey });
  });
});

describe('Function: pagerDutyChange', () => {
  it("tags the summary and keeps the details apart from streamfix's own fields", () => {
    // Act
    const event = pagerDutyChange(
      { incidentId: 'inc-2', pipeline: 'orders', playbook: 'consumer-lag', summary: 'scaled out', details: { pipeline: 'other' } },
      'src',
    );

    // Assess
    expect(event.payload.summary).toBe('[streamfix] orders/consumer-lag: scaled out');
    expect(event.payload.custom_details).toEqual({
      incident_id: 'inc-2',
      pipeline: 'orders',
      playbook: 'consumer-lag',
      details: { pipeline: 'other' },
    });
  });
});

describe('Function: snsMessage', () => {
  it('lists every evidence number under its unit-suffixed key', () => {
    // Act
    const { message } = snsMessage(payload);

    // Assess
    const lines = message.split('\n');
    expect(lines).toContain('  failedRunsCount: 3');
    expect(lines).toContain('  windowMinutes: 30');
    expect(lines).toContain('  executorMemoryGb: 16');
    expect(lines).toContain('  checkpointAgeSeconds: 412');
    expect(lines).toContain('  lagRecords: 1250000');
    expect(lines).toContain('  lastRunId: 00fabc');
    expect(lines).toContain('  checkpointExists: true');
    expect(lines).toContain('  lastSuccessAt: null');
  });

  it('prints the exact command in a block of its own', () => {
    // Act
    const { message } = snsMessage(payload);

    // Assess
    expect(message).toContain(`\n\n${COMMAND}\n\n`);
  });

  it('names the severity, decision, reason, actions, recommendation, incident and dedup key', () => {
    // Act
    const { message } = snsMessage(payload);

    // Assess
    expect(message.split('\n')[0]).toBe('[streamfix] ESCALATION orders/job-failed');
    expect(message).toMatch(/^Severity: +CRITICAL$/m);
    expect(message).toMatch(/^Decision: +escalate$/m);
    expect(message).toMatch(/^Reason: +JOB_FAILED_OOM$/m);
    expect(message).toMatch(/^Incident: +inc-0001$/m);
    expect(message).toMatch(/^Dedup key: +streamfix\/orders\/job-failed\/inc-0001$/m);
    expect(message).toContain('  1. emr-serverless:StartJobRun [failed] Restart the orders job (run 00fabd failed after 4 minutes)');
    expect(message).toContain('  Raise executor memory to 32 GB and restart');
    expect(message).toContain('"executorMemoryGb"');
  });

  it('ends with the full payload as JSON', () => {
    // Act
    const { message } = snsMessage(payload);

    // Assess
    expect(jsonSection(message)).toEqual(payload);
  });

  it('says so when nothing was done yet and there is no command', () => {
    // Act
    const { message } = snsMessage({ ...payload, actionsTaken: [], recommendation: { summary: 'Look at the IAM policy' } });

    // Assess
    expect(message).toContain('Actions taken\n  none');
    expect(message).not.toContain('Command');
  });

  it('keeps a multi-line evidence value on one line, cut in the text but whole in the JSON', () => {
    // Prepare
    const stateDetails = `Job failed\nCaused by: java.lang.OutOfMemoryError\n${'at frame\n'.repeat(500)}`;

    // Act
    const { message } = snsMessage({ ...payload, evidence: { stateDetails } });

    // Assess
    const line = message.split('\n').find((l) => l.startsWith('  stateDetails: '));
    expect(line).toBeDefined();
    expect(line).toContain('Job failed Caused by: java.lang.OutOfMemoryError at frame');
    expect(line!.length).toBeLessThanOrEqual(1000 + '  stateDetails: '.length);
    expect((jsonSection(message) as EscalationPayload).evidence.stateDetails).toBe(stateDetails);
  });

  it('builds a subject of at most 100 ASCII characters on one line, even from a long multi-line summary', () => {
    // Prepare
    const summary = `Checkpoint für orders ist beschädigt ✗\nline two\r\n${'very long summary '.repeat(20)}`;

    // Act
    const { subject } = snsMessage({ ...payload, summary });

    // Assess
    expect(isSnsSubject(subject)).toBe(true);
    expect(subject.startsWith('[streamfix] CRITICAL orders/job-failed: Checkpoint fur orders ist beschadigt line two very')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('swaps the full JSON copy for a bounded one when the full copy would pass the SNS size limit', () => {
    // Prepare: 100 values of 3000 characters: the full JSON alone is about 300 KB
    const huge = { ...payload, evidence: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`value${i}`, 'v'.repeat(3000)])) };

    // Act
    const { message } = snsMessage(huge);

    // Assess
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    const json = jsonSection(message) as EscalationPayload & { truncated: boolean };
    expect(json.truncated).toBe(true);
    expect(String(json.evidence.value99).length).toBeLessThanOrEqual(1000);
    expect(json.recommendation.command).toBe(COMMAND);
    expect(message.includes(`\n\n${COMMAND}\n\n`)).toBe(true);
  });

  it('cuts a message that cannot fit on a character boundary', () => {
    // Prepare: multi-byte characters everywhere, and a summary alone beyond the limit
    const p = { ...payload, recommendation: { summary: 'r', command: 'é'.repeat(SNS_MESSAGE_MAX_BYTES) } };

    // Act
    const { message } = snsMessage(p);

    // Assess
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect(message.includes('\uFFFD')).toBe(false);
    expect(message.endsWith('é\n[truncated]\n')).toBe(true);
  });
});

describe('Function: snsResolveMessage', () => {
  it('announces the resolution with the dedup key and a JSON copy', () => {
    // Prepare
    const r: ResolvePayload = { incidentId: 'inc-0001', dedupKey: payload.dedupKey, pipeline: 'orders', playbook: 'job-failed', summary: 'alarm back to OK' };

    // Act
    const { subject, message } = snsResolveMessage(r);

    // Assess
    expect(subject).toBe('[streamfix] RESOLVED orders/job-failed: alarm back to OK');
    expect(message).toMatch(/^Dedup key: +streamfix\/orders\/job-failed\/inc-0001$/m);
    expect(jsonSection(message)).toEqual(r);
  });
});

describe('Function: snsChangeMessage', () => {
  it('lists the details as key: value lines', () => {
    // Prepare
    const n: ChangeNotice = {
      incidentId: 'inc-0003',
      pipeline: 'orders',
      playbook: 'job-failed',
      summary: 'restarted job run',
      details: { jobRunId: '00fabd', retriesUsed: 1, overrides: { executorMemoryGb: 32 } },
    };

    // Act
    const { subject, message } = snsChangeMessage(n);

    // Assess
    expect(subject).toBe('[streamfix] CHANGE orders/job-failed: restarted job run');
    expect(message).toContain('  jobRunId: 00fabd');
    expect(message).toContain('  retriesUsed: 1');
    expect(message).toContain('  overrides: {"executorMemoryGb":32}');
    expect(jsonSection(message)).toEqual(n);
  });
});
