import { ConfigError } from '../config/errors';
import { formatPath } from '../util/format-path';
import type { StreamfixConfig } from '../config/schema';
import type { PlaybookManifest } from '../core/playbook';

/**
 * Validates one playbook's settings with that playbook's own manifest, on every pipeline it
 * applies to. A function's config is baked at synth, parsed there with the full schema (every
 * default filled, so parsing again changes nothing); here its own playbook checks its block again
 * before any event is handled, with no other playbook's schema in the bundle. Throws ConfigError
 * naming the path (`pipelines.orders.playbooks.job-failed.bounds.maxCheckpointAgeHours: …`).
 */
export function checkOwnSettings(config: StreamfixConfig, manifest: PlaybookManifest): void {
  const issues: { path: string; message: string }[] = [];
  for (const [name, pipeline] of Object.entries(config.pipelines)) {
    if (!manifest.appliesTo(pipeline)) continue;
    const block = (pipeline.playbooks as Record<string, unknown>)[manifest.id];
    if (block === undefined) {
      issues.push({ path: `pipelines.${name}.playbooks.${manifest.id}`, message: 'Required (a validated config has every playbook)' });
      continue;
    }
    const r = manifest.settings.safeParse(block);
    if (!r.success)
      for (const i of r.error.issues) issues.push({ path: formatPath(['pipelines', name, 'playbooks', manifest.id, ...i.path]), message: i.message });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}
