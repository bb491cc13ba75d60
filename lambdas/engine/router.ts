import type { StreamfixConfig } from '../config/schema';
import type { Playbook } from '../core/playbook';
import { UnroutableEventError } from '../core/errors';
import type { Trigger } from '../core/trigger';
import { alarmRoutesOf, type AlarmRoute, type Env } from '../core/wire';

/**
 * Which pipelines of this playbook a trigger concerns. Alarms route by the names the stack
 * gave them (or `routes` in the config); job-run events by the playbook's own rule; follow-ups
 * name their incident's pipeline. Only this playbook's alarms are known (its function's rule
 * sends it no other), so its function does not bundle the other playbooks' manifests.
 */
export class Router {
  private readonly alarms: Map<string, AlarmRoute>;

  constructor(
    private readonly config: StreamfixConfig,
    private readonly playbook: Playbook,
    env: Env,
  ) {
    this.alarms = alarmRoutesOf(config, env, [playbook.manifest]);
  }

  alarmRoute(alarmName: string): AlarmRoute | undefined {
    return this.alarms.get(alarmName);
  }

  /** This playbook's alarms (stack-created and config `routes`) of the given pipelines, by name. */
  alarmsOf(pipelines: readonly string[]): { alarmName: string; pipeline: string }[] {
    const id = this.playbook.manifest.id;
    return [...this.alarms.entries()]
      .filter(([, r]) => r.playbook === id && pipelines.includes(r.pipeline))
      .map(([alarmName, r]) => ({ alarmName, pipeline: r.pipeline }));
  }

  route(t: Trigger): string[] {
    const id = this.playbook.manifest.id;
    switch (t.kind) {
      case 'alarm': {
        const r = this.alarms.get(t.alarmName);
        if (!r) throw new UnroutableEventError('detail.alarmName', `no pipeline of playbook ${id} is configured for alarm "${t.alarmName}"`);
        if (r.playbook !== id) {
          throw new UnroutableEventError('detail.alarmName', `alarm "${t.alarmName}" belongs to playbook ${r.playbook}, not ${id}`);
        }
        return [r.pipeline];
      }
      case 'job-run': {
        const pipelines = this.playbook.routeJobRun?.(t, this.config) ?? [];
        if (pipelines.length === 0) {
          throw new UnroutableEventError('detail.applicationId', `no pipeline of playbook ${id} runs on application ${t.applicationId}`);
        }
        return pipelines;
      }
      case 'follow-up': {
        if (t.playbook !== id) throw new UnroutableEventError('playbook', `follow-up for ${t.playbook} sent to ${id}`);
        if (!(t.pipeline in this.config.pipelines)) throw new UnroutableEventError('pipeline', `unknown pipeline "${t.pipeline}"`);
        return [t.pipeline];
      }
      case 'approval': {
        if (t.playbook !== id)
          throw new UnroutableEventError(
            'incidentId',
            `incident ${t.incidentId} belongs to playbook ${t.playbook}, not ${id}: invoke that playbook's function`,
          );
        if (!(t.pipeline in this.config.pipelines)) throw new UnroutableEventError('incidentId', `unknown pipeline "${t.pipeline}"`);
        return [t.pipeline];
      }
      case 'resume':
        if (t.pipeline !== undefined && !(t.pipeline in this.config.pipelines)) throw new UnroutableEventError('pipeline', `unknown pipeline "${t.pipeline}"`);
        // The resumer finds the pipelines it concerns (engine/resume.ts).
        return [];
      case 'sweep':
        return [];
    }
  }
}
