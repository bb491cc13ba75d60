import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GOALS, runProof, type ProofReport, type ProofTotals } from './proof';

/**
 * `npm run proof [-- --runs 40 --seed 1 --scenario job-crashed --run 22 --out proof-results/proof.json]`
 * (`--run N` replays only run N of each scenario: the run a failure line names.)
 * Prints a table per playbook and overall, writes the JSON report, and exits 1 when any goal
 * figure is not 0 (2 when the proof could not start).
 */

const HEADERS = [
  'playbook',
  'drills',
  'dup actions',
  'bound viol.',
  'unended',
  'resumed ×2',
  'non-owner acts',
  'unresumed kills',
  'breaker in flight',
  'errors',
  'sent ×2',
  'unbacked del.',
  'op beside op',
  'faults',
  'retries',
  'slow',
  'partial',
  'deliv. perturb.',
  'kills (resumed)',
  'incidents',
];

function row(name: string, t: ProofTotals): string[] {
  const f = t.faults;
  const injected = f.ThrottlingException + f.InternalServerError + f.ServiceUnavailable + f.TimeoutError + f.TimeoutAfterEffect;
  const deliveries = Object.values(t.deliveries).reduce((a, b) => a + b, 0);
  return [
    name,
    String(t.drills),
    ...GOALS.map((g) => String(t.figures[g])),
    String(injected),
    String(t.retries),
    String(f.slow),
    String(f.partial),
    String(deliveries),
    `${t.kills} (${t.resumed})`,
    String(t.incidents),
  ];
}

export function formatTable(report: ProofReport): string {
  const rows = [
    HEADERS,
    ...Object.entries(report.byPlaybook)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, t]) => row(k, t)),
    row('overall', report.overall),
  ];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const sep = widths.map((w) => '─'.repeat(w)).join('  ');
  const out = [line(rows[0]!), sep, ...rows.slice(1, -1).map(line), sep, line(rows[rows.length - 1]!)];
  const o = report.overall;
  out.push(
    '',
    `faults by kind: ${Object.entries(o.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; attempts ${o.attempts}`,
    `deliveries: ${Object.entries(o.deliveries)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `final decisions: ${Object.entries(o.decisions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `replays: ${o.replays.records} record(s) replayed, ${o.replays.twiceInWindow} sent twice within the documented window (one batch per crash or lost answer), ` +
      `${o.figures.replayedTwice} beyond it; ${o.replays.kafkaFaults} Kafka send fault(s) injected`,
  );
  return out.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      scenario: { type: 'string', multiple: true },
      out: { type: 'string', default: 'proof-results/proof.json' },
      quiet: { type: 'boolean', default: false },
      run: { type: 'string' },
      details: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const started = performance.now();
  let n = 0;
  const report = await runProof({
    runs,
    seed,
    scenarios: values.scenario ?? [],
    ...(values.run !== undefined ? { onlyRun: Number(values.run) } : {}),
    onRun: (r) => {
      n++;
      const bad = Object.values(r.figures).some((v) => v > 0);
      if (bad) process.stderr.write(`\n✗ ${r.scenario} run ${r.run} (seed ${r.seed}):\n  ${r.details.join('\n  ')}\n`);
      else if (!values.quiet) process.stderr.write(`\r${n} drills…`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write('\n');
  console.log(`fault-injection proof: ${report.overall.drills} drills (${report.scenarios.length} scenarios × ${runs} runs), seed ${seed}`);
  console.log(formatTable(report));
  console.log(
    `\n${report.passed ? 'PASS' : 'FAIL'}: every goal figure (${GOALS.join(', ')}) must be 0 — ${report.overall.drills} drills in ${seconds.toFixed(1)} s`,
  );
  const out = resolve(values.out!);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ ...report, realSeconds: Math.round(seconds * 10) / 10 }, null, 2)}\n`);
  console.log(`JSON: ${out}`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`proof could not run: ${(e as Error).stack ?? String(e)}`);
    process.exit(2);
  },
);
