#!/usr/bin/env -S npx tsx
/**
 * The streamfix CLI. Each subcommand lives in its own module and is loaded only when used.
 */

type Command = { summary: string; run: (args: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  drill: {
    summary: 'run drills on the simulated platform (the built-in scenarios when no file is given)',
    run: async (args) => (await import('../drills/cli')).drillCommand(args),
  },
  replay: {
    summary: "replay dead-letter records to the pipeline's source topic or Firehose stream (dry run unless --execute)",
    run: async (args) => (await import('../cli/replay')).replayCommand(args),
  },
  schema: {
    summary: 'print the JSON Schema of streamfix.config.ts (for editors)',
    run: async (args) => (await import('../cli/schema')).schemaCommand(args),
  },
  breaker: {
    summary: "show or reset a pipeline playbook's circuit breaker (a reset is recorded in the ledger)",
    run: async (args) => (await import('../cli/breaker')).breakerCommand(args),
  },
  redrive: {
    summary: 'send the events that used up their retries through the engine again, once the cause is fixed',
    run: async (args) => (await import('../cli/redrive')).redriveCommand(args),
  },
  checkpoint: {
    summary: "inspect, back up, roll back, reset or restore a pipeline's checkpoint (mutations need --confirm)",
    run: async (args) => (await import('../cli/checkpoint')).checkpointCommand(args),
  },
  approve: {
    summary: 'approve the fix an incident waits for (mode approve); streamfix plans again and acts only on the same plan',
    run: async (args) => (await import('../cli/approve')).approveCommand('approve', args),
  },
  deny: {
    summary: 'deny the fix an incident waits for (--reason required); nothing runs',
    run: async (args) => (await import('../cli/approve')).approveCommand('deny', args),
  },
  incidents: {
    summary: 'list incidents (--pipeline, --since 24h, --status)',
    run: async (args) => (await import('../cli/incidents')).incidentsCommand(args),
  },
  incident: {
    summary: 'one incident: timeline, decisions, actions with before/after, pages, approvals; --report for the post-incident record',
    run: async (args) => (await import('../cli/incidents')).incidentCommand(args),
  },
  status: {
    summary: 'modes, pause switches, locks, cooldowns, budget left, breakers and open incidents',
    run: async (args) => (await import('../cli/status')).statusCommand(args),
  },
  pause: {
    summary: 'pause every pipeline or one (--pipeline) with a --reason: streamfix tells, changes nothing',
    run: async (args) => (await import('../cli/pause')).pauseCommand('pause', args),
  },
  resume: {
    summary: 'lift a pause and re-evaluate what it held (alarms still in ALARM, incidents held by the pause)',
    run: async (args) => (await import('../cli/pause')).pauseCommand('resume', args),
  },
  validate: {
    summary: 'check a config: schema, cross-checks, IAM policy size; --live checks the account read-only',
    run: async (args) => (await import('../cli/validate')).validateCommand(args),
  },
  plan: {
    summary: 'what would streamfix do now? diagnose and plan against the live account, read-only',
    run: async (args) => (await import('../cli/plan')).planCommand(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: streamfix <command> [options]   (streamfix <command> --help for its options; streamfix --version)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 done, 1 refused or failed, 2 bad usage',
  ].join('\n');
}

/** The package's version, from its package.json (next to this file's directory). */
async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`streamfix ${await version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A message, never a stack trace (STREAMFIX_DEBUG=1 shows it).
    process.stderr.write(`error: ${err instanceof Error ? (process.env.STREAMFIX_DEBUG ? (err.stack ?? err.message) : err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
