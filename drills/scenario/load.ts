import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { formatPath, type StreamfixConfig } from '../../lambdas/config';
import { parseConfig } from '../../lambdas/schema';
import { ConfigError } from '../../lambdas/config/errors';
import { manifests } from '../../lambdas/playbooks/registry';
import { mskTimelineIssues } from '../msk';
import { scenarioSchema, type Scenario } from './schema';

/** A scenario file that cannot be run; every issue names its path in the file. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`invalid scenario ${file}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  config: StreamfixConfig;
}

function parseText(file: string, text: string): unknown {
  try {
    return extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new ScenarioError(file, [{ path: '(file)', message: `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}` }]);
  }
}

/** Validates a parsed scenario document (YAML or JSON) and its config. */
export async function validateScenario(file: string, doc: unknown): Promise<LoadedScenario> {
  const r = scenarioSchema.safeParse(doc);
  if (!r.success) {
    throw new ScenarioError(
      file,
      r.error.issues.map((i) => ({
        path: formatPath(i.path),
        message:
          i.code === 'unrecognized_keys'
            ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} (see docs/scenarios.md)`
            : i.code === 'invalid_type' && i.input === undefined
              ? 'Required'
              : i.message,
      })),
    );
  }
  const scenario = r.data;
  let rawConfig: unknown = scenario.config;
  let configPath = 'config';
  if (scenario.configFile !== undefined) {
    configPath = 'configFile';
    rawConfig = await loadConfigFile(file, scenario.configFile);
  }
  let config: StreamfixConfig;
  try {
    config = parseConfig(rawConfig);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ScenarioError(
        file,
        e.issues.map((i) => ({ path: `${configPath}.${i.path}`, message: i.message })),
      );
    throw e;
  }
  const issues = crossReferences(scenario, config);
  if (issues.length > 0) throw new ScenarioError(file, issues);
  return { file, scenario, config };
}

export async function loadScenario(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, [{ path: '(file)', message: `cannot read: ${(e as Error).message}` }]);
  }
  return validateScenario(file, parseText(file, text));
}

async function loadConfigFile(scenarioFile: string, configFile: string): Promise<unknown> {
  const path = resolve(dirname(scenarioFile), configFile);
  const ext = extname(path).toLowerCase();
  try {
    if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
      return mod.default;
    }
    return parseText(path, await readFile(path, 'utf8'));
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    throw new ScenarioError(scenarioFile, [{ path: 'configFile', message: `cannot load ${path}: ${(e as Error).message}` }]);
  }
}

/** Pipelines and playbooks named in the scenario must exist in its config and in streamfix. */
function crossReferences(s: Scenario, config: StreamfixConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const pipelines = Object.keys(config.pipelines);
  const playbooks = manifests.map((m) => m.id);
  const pipeline = (path: string, name: string | undefined) => {
    if (name !== undefined && !pipelines.includes(name)) issues.push({ path, message: `unknown pipeline "${name}" (config has: ${pipelines.join(', ')})` });
  };
  const playbook = (path: string, id: string) => {
    if (!playbooks.includes(id)) issues.push({ path, message: `unknown playbook "${id}" (known: ${playbooks.join(', ')})` });
  };
  (s.world.emr.jobRuns ?? []).forEach((r, i) => pipeline(`world.emr.jobRuns[${i}].pipeline`, r.pipeline));
  (s.world.s3.checkpoints ?? []).forEach((c, i) => pipeline(`world.s3.checkpoints[${i}].pipeline`, c.pipeline));
  s.timeline.forEach((e, i) => {
    for (const [key, value] of Object.entries(e)) {
      if (key === 'at' || key === 'note' || value === undefined) continue;
      const v = value as { pipeline?: string; playbook?: string };
      pipeline(`timeline[${i}].${key}.pipeline`, v.pipeline);
      if (v.playbook !== undefined) playbook(`timeline[${i}].${key}.playbook`, v.playbook);
    }
  });
  s.expect.incidents.forEach((x, i) => {
    pipeline(`expect.incidents[${i}].pipeline`, x.pipeline);
    playbook(`expect.incidents[${i}].playbook`, x.playbook);
  });
  Object.keys(s.expect.jobs ?? {}).forEach((p) => pipeline(`expect.jobs.${p}`, p));
  issues.push(...mskTimelineIssues(s, config));
  const end = s.runFor;
  s.timeline.forEach((e, i) => {
    if (e.at > end) issues.push({ path: `timeline[${i}].at`, message: `is after runFor (${end / 1000} s): it would never happen` });
  });
  return issues;
}
