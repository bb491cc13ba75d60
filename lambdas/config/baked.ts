import { ConfigError } from './errors';
import type { StreamfixConfig } from './schema';
import { isRecord } from '../util/is-record';

/**
 * The config a function was deployed with. The stack bakes `parseConfig`'s output into the
 * bundle at synth (`process.env.STREAMFIX_CONFIG_JSON`, replaced by esbuild's define): it was
 * validated and given every default there, and parsing it again returns it unchanged (a test
 * holds every known config to that). So the function reads it as it is, rather than build the
 * schema of every playbook's settings at each cold start only to check it a second time. Only
 * its outline is checked, to refuse something the stack did not bake.
 */
export function bakedConfig(json: string | undefined): StreamfixConfig {
  if (!json) throw new Error('STREAMFIX_CONFIG_JSON is not set: deploy with the streamfix stack');
  const config: unknown = JSON.parse(json);
  const issues: { path: string; message: string }[] = [];
  if (!isRecord(config)) {
    issues.push({ path: '(root)', message: 'must be an object' });
  } else {
    if (typeof config.name !== 'string') issues.push({ path: 'name', message: 'Required' });
    if (!isRecord(config.escalation)) issues.push({ path: 'escalation', message: 'Required' });
    if (!isRecord(config.pipelines)) issues.push({ path: 'pipelines', message: 'Required' });
    if (!Array.isArray(config.routes)) issues.push({ path: 'routes', message: 'Required (a validated config has its defaults)' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return config as StreamfixConfig;
}
