import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The `streamfix` binary as npm installs it (bin/streamfix.mjs, plain JavaScript loading the CLI
 * with tsx, a runtime dependency), run from outside the repository; and the project's scripts,
 * which turn the AWS SDK's Node-version warning off.
 */
const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'streamfix.mjs');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const OPT_OUT = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const withoutOptOut = () => {
  const env = { ...process.env };
  delete env[OPT_OUT];
  return env;
};
const run = (args: string[], cwd = tmpdir()) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: withoutOptOut(), timeout: 60_000 });

describe('The streamfix binary', () => {
  it('is the JavaScript launcher, with tsx a runtime dependency', () => {
    expect(pkg.bin).toEqual({ streamfix: 'bin/streamfix.mjs' });
    expect(pkg.dependencies.tsx).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('runs from outside the repository: --version, --help, and exit 2 with the usage for an unknown command', { timeout: 60_000 }, () => {
    const v = run(['--version']);
    expect({ code: v.status, out: v.stdout.trim() }).toEqual({ code: 0, out: `streamfix ${pkg.version}` });
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const c of ['approve', 'deny', 'incidents', 'incident', 'status', 'pause', 'resume', 'validate', 'plan', 'drill'])
      expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const bad = run(['frobnicate']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  });

  it('reports a missing config or region as one line naming the argument, never a stack trace', { timeout: 60_000 }, () => {
    const r = run(['status', '--config', 'no-such.config.ts']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^--config no-such\.config\.ts: config file not found: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('The project scripts', () => {
  it("set the AWS SDK's Node-version opt-out on what runs SDK clients (start, test, proof, bench, synth)", () => {
    for (const s of ['start', 'test', 'proof', 'bench', 'synth', 'streamfix']) expect(pkg.scripts[s], s).toContain(`${OPT_OUT}=true `);
  });

  it('approve the install scripts npm ci needs, so it does not warn', () => {
    expect(pkg.allowScripts).toEqual({ 'classic-level': true, esbuild: true });
  });

  it('npm start prints no Node-version warning; without the opt-out this Node would print one', { timeout: 120_000 }, () => {
    const started = spawnSync('npm', ['start', '--', 'job-crashed', '--quiet'], { cwd: ROOT, encoding: 'utf8', env: withoutOptOut(), timeout: 110_000 });
    expect(started.status).toBe(0);
    expect(started.stdout).toContain('PASS job-crashed');
    expect(started.stderr).not.toContain('NodeVersionSupportWarning');
    if (Number(process.versions.node.split('.')[0]) < 22) {
      // The control: the same drill without the scripts' opt-out warns on this Node.
      const bare = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/streamfix.ts', 'drill', 'job-crashed', '--quiet'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: withoutOptOut(),
        timeout: 110_000,
      });
      expect(bare.stderr).toContain('NodeVersionSupportWarning');
    }
  });
});
