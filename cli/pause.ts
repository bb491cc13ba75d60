import { randomUUID } from 'node:crypto';
import { LambdaAdapter } from '../lambdas/adapters/lambda';
import { SsmAdapter } from '../lambdas/adapters/ssm';
import { functionName, pauseParameterName, pipelinePauseParameterPrefix } from '../lambdas/core/names';
import { RESUME_MARKER } from '../lambdas/core/events/operator';
import type { InvocationResult } from '../lambdas/engine/runtime';
import { buildWiring } from '../lambdas/wiring';
import { COMMON_USAGE, context, defaultIo, describeError, helped, iso, parse, pipelineOf, runCommand, str, UsageError, type CliIo } from './common';
import { whoIsCalling } from './identity';

/**
 * `streamfix pause|resume [--pipeline P] --reason …`: the kill switch (the SSM pause parameters
 * every playbook reads at the start of each invocation). A pause's value is its reason and who
 * set it; `resume` sets it back to `off`, then asks each playbook function serving the pipeline
 * to re-evaluate what the pause held (alarms still in ALARM, incidents held by the pause): the
 * parameter's change event does the same, but Systems Manager sends those on a best effort basis.
 */

export const PAUSE_USAGE = `usage: streamfix pause [--pipeline <name>] --reason <text>
       streamfix resume [--pipeline <name>] [--reason <text>]
  --pipeline <name>                one pipeline (default: every pipeline, the global switch)
  --reason <text>                  why (required to pause; shown in every page while paused)
${COMMON_USAGE}`;

/** The SSM parameter a pause of `pipeline` (or of everything) sets. */
export const pauseParameterOf = (prefix: string, pipeline: string | undefined): string =>
  pipeline === undefined ? pauseParameterName(prefix) : `${pipelinePauseParameterPrefix(prefix)}${pipeline}`;

/** SSM String parameter values are at most 4 KB (Standard tier; PutParameter, Systems Manager API Reference). */
const MAX_VALUE_CHARS = 4_096;

export async function pauseCommand(action: 'pause' | 'resume', args: string[], io: CliIo = defaultIo): Promise<number> {
  return runCommand(io, PAUSE_USAGE, async () => {
    const { values: v } = parse(args, { pipeline: { type: 'string' }, reason: { type: 'string' } });
    if (helped(v, io, PAUSE_USAGE)) return 0;
    const reason = str(v, 'reason')?.trim();
    if (action === 'pause' && !reason) throw new UsageError('--reason: required to pause (it is shown in every page while paused)');
    if (action === 'pause' && reason!.toLowerCase() === 'off') throw new UsageError('--reason: "off" means not paused; give the reason for the pause');
    const ctx = await context(v, io);
    const pipeline = pipelineOf(ctx.config, str(v, 'pipeline'), false);
    const who = await whoIsCalling(ctx.region, io.callerIdentity);
    if (!who.ok) {
      io.err(who.error);
      return 1;
    }
    const ssm = SsmAdapter.fromOptions(ctx.aws);
    const name = pauseParameterOf(ctx.config.name, pipeline);
    const now = ctx.clock.now();
    const before = (await ssm.getParameters([name]))[name];
    const value = action === 'pause' ? `${reason} (by ${who.identity.arn}, ${iso(now)})`.slice(0, MAX_VALUE_CHARS) : 'off';
    await ssm.putParameter(name, value, true);
    const what = pipeline ?? 'every pipeline';
    if (action === 'pause') {
      if (ctx.json) io.out(JSON.stringify({ paused: what, parameter: name, value, before: before ?? null }, null, 2));
      else
        io.out(
          `paused ${what}: ${name} = ${value}\nstreamfix still diagnoses and tells a person, and changes nothing, until: streamfix resume${pipeline ? ` --pipeline ${pipeline}` : ''}`,
        );
      return 0;
    }
    // Still paused another way: the global switch, or the pipeline's own, or the config.
    const others = pipeline === undefined ? [] : [pauseParameterName(ctx.config.name)];
    const still = others.length ? await ssm.getParameters(others) : {};
    const stillPaused = Object.entries(still).filter(([, val]) => val.trim() !== '' && val.trim().toLowerCase() !== 'off');
    const env = { account: ctx.config.account ?? '', region: ctx.region, partition: 'aws' };
    const functions = buildWiring(ctx.config, env)
      .filter((w) => pipeline === undefined || w.pipelines.includes(pipeline))
      .map((w) => functionName(ctx.config.name, w.playbook));
    const invoke = io.invoke ?? ((fn: string, p: unknown) => LambdaAdapter.fromOptions(ctx.aws).invoke(fn, p));
    const payload = { streamfix: RESUME_MARKER, ...(pipeline ? { pipeline } : {}), by: who.identity, nonce: randomUUID() };
    const results = await Promise.all(
      functions.map(async (fn) => {
        try {
          return { fn, result: (await invoke(fn, payload)) as InvocationResult };
        } catch (e) {
          return { fn, error: describeError(e) };
        }
      }),
    );
    const failed = results.filter((r) => 'error' in r);
    if (ctx.json) {
      io.out(
        JSON.stringify(
          { resumed: what, parameter: name, before: before ?? null, stillPausedBy: Object.fromEntries(stillPaused), reevaluations: results },
          null,
          2,
        ),
      );
    } else {
      io.out(`resumed ${what}: ${name} = off${before !== undefined && before.trim().toLowerCase() !== 'off' ? ` (was: ${before})` : ' (it was not paused)'}`);
      for (const [n, val] of stillPaused)
        io.out(`still paused by ${n} = ${val} (streamfix resume without --pipeline lifts it): nothing is re-evaluated until then`);
      for (const r of results) io.out(`  ${r.fn}: ${'error' in r ? `failed: ${r.error}` : (r.result?.decision?.summary ?? r.result?.outcome ?? 'no answer')}`);
    }
    return failed.length === 0 ? 0 : 1;
  });
}
