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
    summary: 'replay dead-letter records to the pipeline\'s source topic or Firehose stream (dry run unless --execute)',
    run: async (args) => (await import('../cli/replay')).replayCommand(args),
  },
  schema: {
    summary: 'print the JSON Schema of streamfix.config.ts (for editors)',
    run: async (args) => (await import('../cli/schema')).schemaCommand(args),
  },
  breaker: {
    summary: 'show or reset a pipeline playbook\'s circuit breaker (a reset is recorded in the ledger)',
    run: async (args) => (await import('../cli/breaker')).breakerCommand(args),
  },
  redrive: {
    summary: 'send the events that used up their retries through the engine again, once the cause is fixed',
    run: async (args) => (await import('../cli/redrive')).redriveCommand(args),
  },
  checkpoint: {
    summary: 'inspect, back up, roll back, reset or restore a pipeline\'s checkpoint (mutations need --confirm)',
    run: async (args) => (await import('../cli/checkpoint')).checkpointCommand(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return ['usage: streamfix <command> [options]', '', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
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
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
