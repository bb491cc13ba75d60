import { readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResult } from './report';
import type { DrillResult } from './result';
import { runScenario } from './runner';
import { loadScenario, ScenarioError } from './scenario/load';

/**
 * `streamfix drill [files…] [--json]`: runs scenarios (the built-in ones when no file is given)
 * and prints a timeline and a verdict per scenario, or the machine result with --json.
 * Exit code: 0 all passed, 1 an expectation failed, 2 a scenario could not be run.
 */

export const BUILTIN_SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

export async function builtinScenarios(): Promise<string[]> {
  const files = await readdir(BUILTIN_SCENARIOS_DIR);
  return files.filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(BUILTIN_SCENARIOS_DIR, f));
}

export interface DrillCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const DRILL_USAGE = `usage: streamfix drill [scenario.yaml …] [--json]
  Runs drills on the simulated platform. Without files: the built-in scenarios (drills/scenarios/).
  --json  print the machine-readable result instead of the timeline`;

export async function drillCommand(args: string[], io: DrillCliIo = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }): Promise<number> {
  const json = args.includes('--json');
  if (args.includes('--help') || args.includes('-h')) {
    io.out(DRILL_USAGE);
    return 0;
  }
  const unknown = args.filter((a) => a.startsWith('-') && a !== '--json');
  if (unknown.length > 0) {
    io.err(`unknown option ${unknown.join(', ')}\n${DRILL_USAGE}`);
    return 2;
  }
  const files = args.filter((a) => !a.startsWith('-'));
  const targets = files.length > 0 ? files : await builtinScenarios();
  const results: DrillResult[] = [];
  let broken = false;
  for (const file of targets) {
    try {
      const loaded = await loadScenario(file);
      loaded.file = relative(process.cwd(), file) || file;
      const r = await runScenario(loaded);
      results.push(r);
      if (!json) io.out(`${formatResult(r)}\n`);
    } catch (e) {
      broken = true;
      io.err(e instanceof ScenarioError ? e.message : `drill ${file} could not run: ${(e as Error).stack ?? String(e)}`);
    }
  }
  const passed = results.filter((r) => r.verdict === 'PASS').length;
  if (json) io.out(JSON.stringify({ passed: passed === results.length && !broken, results }, null, 2));
  else io.out(`${passed}/${results.length} scenario(s) passed${broken ? '; some could not run (see above)' : ''}`);
  if (broken) return 2;
  return passed === results.length ? 0 : 1;
}
