import type { Trigger } from '../trigger';

const oneLine = (s: string, max = 200): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** One human line for logs and timelines. */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'alarm': {
      const base = `alarm ${oneLine(t.alarmName)} → ${t.state}`;
      if (!t.composite) return base;
      const by = t.triggeringAlarms.length > 0 ? `; triggered by ${oneLine(t.triggeringAlarms.join(', '))}` : '';
      return `${base} (composite${by})`;
    }
    case 'job-run': {
      const name = t.jobRunName !== undefined ? ` ${JSON.stringify(oneLine(t.jobRunName, 80))}` : '';
      const details = t.stateDetails !== undefined && t.stateDetails.trim() !== '' ? ` (${oneLine(t.stateDetails)})` : '';
      if (t.retry) {
        return `job run ${oneLine(t.jobRunId)}${name} of app ${oneLine(t.applicationId)}: attempt ${t.retry.previousAttempt} ${oneLine(t.retry.previousAttemptState, 40)}, EMR retries as attempt ${t.retry.newAttempt}`;
      }
      return `job run ${oneLine(t.jobRunId)}${name} of app ${oneLine(t.applicationId)} → ${oneLine(t.state, 40)}${details}`;
    }
    case 'follow-up':
      return `follow-up ${t.purpose} #${t.attempt} of incident ${oneLine(t.incidentId)} (${oneLine(t.pipeline)}/${oneLine(t.playbook)})`;
    case 'sweep':
      return 'sweep for stuck incidents';
    case 'approval':
      return `${t.verdict === 'approve' ? 'approval' : 'denial'}${t.approvalId ? ` of request ${t.approvalId}` : ''} of incident ${oneLine(t.incidentId)} by ${oneLine(t.by.arn, 300)}${t.reason ? ` (${oneLine(t.reason)})` : ''}`;
    case 'resume':
      return t.source === 'parameter-store'
        ? `pause parameter ${oneLine(t.parameterName ?? '', 300)} changed`
        : `resume of ${t.pipeline ?? 'every pipeline'}${t.by ? ` by ${oneLine(t.by.arn, 300)}` : ''}`;
  }
}
