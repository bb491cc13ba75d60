import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamfixConfig } from '../lambdas/config';
import { isUserConfigError, loadConfigFile } from '../lib/config-file';
import { adaptScenario, ownVerdict } from './own-config';
import { formatResult, verdictLine } from './report';
import type { DrillResult } from './result';
import { runScenario } from './runner';
import { loadScenario, ScenarioError, type LoadedScenario } from './scenario/load';

/**
 * `streamfix drill [scenario.yaml | name …] [--config file] [--quiet] [--json]`: runs scenarios
 * (the built-in ones when none is given) and prints a timeline and a verdict per scenario, or the
 * machine result with --json. A name is a built-in scenario (`drill job-crashed`). `--config`
 * runs them against your own config (drills/own-config.ts). Exit code: 0 all passed, 1 an
 * expectation failed (with --config: streamfix misbehaved), 2 a scenario could not be run.
 */

export const BUILTIN_SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

export async function builtinScenarios(): Promise<string[]> {
  const files = await readdir(BUILTIN_SCENARIOS_DIR);
  return files
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(BUILTIN_SCENARIOS_DIR, f));
}

export interface DrillCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  loadConfig?(path: string): Promise<StreamfixConfig>;
}

export const DRILL_USAGE = `usage: streamfix drill [scenario.yaml | name …] [--config <file>] [--quiet] [--json]
  Runs drills on the simulated platform. Without files: the built-in scenarios (drills/scenarios/).
  name                 a built-in scenario by name, e.g. job-crashed (streamfix drill --list names them)
  --config <file>      run the scenarios against your own config (e.g. streamfix.config.ts): each runs on
                       the first of your pipelines that fits it, with your modes and bounds; PASS as the
                       scenario expects, DIFF handled differently by your settings, FAIL streamfix misbehaved
  --quiet              print only the verdicts
  --list               print the built-in scenarios' names
  --json               print the machine-readable result instead of the timeline`;

const OPTIONS = new Set(['--json', '--quiet', '--list', '--help', '-h']);

/** The files the arguments name: paths as given, names as built-in scenarios; a usage error otherwise. */
async function targetsOf(names: string[]): Promise<{ files: string[] } | { error: string }> {
  const builtin = await builtinScenarios();
  if (names.length === 0) return { files: builtin };
  const byName = new Map(builtin.map((f) => [basename(f, extname(f)), f]));
  const files: string[] = [];
  for (const n of names) {
    // A path (it has a directory or an extension) is read as a file, and says so when it cannot be.
    if (existsSync(n) || n.includes('/') || extname(n) !== '') files.push(n);
    else if (byName.has(n)) files.push(byName.get(n)!);
    else return { error: `${n}: no built-in scenario of that name (streamfix drill --list), and no such file` };
  }
  return { files };
}

export async function drillCommand(
  args: string[],
  io: DrillCliIo = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
): Promise<number> {
  const json = args.includes('--json');
  const quiet = args.includes('--quiet');
  if (args.includes('--help') || args.includes('-h')) {
    io.out(DRILL_USAGE);
    return 0;
  }
  const rest: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config') {
      configFile = args[++i];
      if (configFile === undefined || configFile.startsWith('-')) {
        io.err(`--config: a config file is required\n${DRILL_USAGE}`);
        return 2;
      }
    } else if (a.startsWith('--config=')) configFile = a.slice('--config='.length);
    else rest.push(a);
  }
  const unknown = rest.filter((a) => a.startsWith('-') && !OPTIONS.has(a));
  if (unknown.length > 0) {
    io.err(`unknown option ${unknown.join(', ')}\n${DRILL_USAGE}`);
    return 2;
  }
  if (rest.includes('--list')) {
    io.out((await builtinScenarios()).map((f) => basename(f, extname(f))).join('\n'));
    return 0;
  }
  const targets = await targetsOf(rest.filter((a) => !a.startsWith('-')));
  if ('error' in targets) {
    io.err(`${targets.error}\n${DRILL_USAGE}`);
    return 2;
  }
  let own: StreamfixConfig | undefined;
  if (configFile !== undefined) {
    try {
      own = await (io.loadConfig ?? ((p: string) => loadConfigFile(p)))(configFile);
    } catch (e) {
      io.err(`--config ${configFile}: ${isUserConfigError(e) ? e.message : (e as Error).message}`);
      return 2;
    }
  }
  const results: DrillResult[] = [];
  let broken = false;
  let misbehaved = 0;
  let skipped = 0;
  for (const file of targets.files) {
    try {
      let loaded: LoadedScenario = await loadScenario(file);
      loaded.file = relative(process.cwd(), file) || file;
      let on = '';
      if (own) {
        const adapted = adaptScenario(loaded, own);
        if ('skipped' in adapted) {
          skipped++;
          if (!json) io.out(`SKIP ${loaded.scenario.name}: ${adapted.skipped}`);
          continue;
        }
        loaded = adapted.loaded;
        on = ` (on your pipeline ${adapted.pipeline})`;
      }
      const r = await runScenario(loaded);
      results.push(r);
      if (own) {
        const v = ownVerdict(r, loaded);
        if (v.verdict === 'FAIL') misbehaved++;
        if (!json) {
          if (!quiet) io.out(`${formatResult(r)}\n`);
          io.out(`${v.verdict} ${r.scenario}${on}${v.why.length ? `: ${v.why.join('; ')}` : ''}`);
        }
      } else if (!json) io.out(quiet ? verdictLine(r) : `${formatResult(r)}\n`);
    } catch (e) {
      broken = true;
      io.err(e instanceof ScenarioError ? e.message : `drill ${file} could not run: ${(e as Error).message}`);
    }
  }
  const passed = results.filter((r) => r.verdict === 'PASS').length;
  if (json) io.out(JSON.stringify({ passed: own ? misbehaved === 0 && !broken : passed === results.length && !broken, results }, null, 2));
  else if (own)
    io.out(
      `${results.length} scenario(s) on your config: ${passed} as expected, ${results.length - passed - misbehaved} handled differently, ${misbehaved} failed; ${skipped} not applicable${broken ? '; some could not run (see above)' : ''}`,
    );
  else io.out(`${passed}/${results.length} scenario(s) passed${broken ? '; some could not run (see above)' : ''}`);
  if (broken) return 2;
  if (own) return misbehaved === 0 ? 0 : 1;
  return passed === results.length ? 0 : 1;
}
