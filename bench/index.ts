import { mkdir, writeFile } from 'node:fs/promises';
import { builtinScenarios } from '../drills/cli';
import { runScenario } from '../drills/runner';
import { loadScenario } from '../drills/scenario/load';
import { benchCheckpoint } from './checkpoint';
import { benchColdStart } from './cold-start';
import { benchLag } from './lag';
import { benchOverhead } from './overhead';
import { benchReplay } from './replay';
import { benchStorm } from './storm';

/**
 * `npm run bench`: speed and memory figures, as JSON (bench-results/bench.json) and a table.
 * Never asserted in tests: these machines are noisy. `BENCH_FULL=1` replays a 1 GiB DLQ
 * (default 64 MiB) and runs the checkpoint reader against s3rver as well.
 */

/** Manual times to fix from the seed runbooks (minutes), for the time-to-recover comparison. */
const MANUAL_MINUTES: Record<string, string> = {
  job: '5 (002: P0 job failed, immediate restart from checkpoint)',
  lag: '5–30 (004: consumer lag high)',
  checkpoint: '5–20 (004: checkpoint failure)',
  firehose: '5–10 (004: Firehose delivery failure)',
  dlq: '5–15 (004: DLQ spike)',
};

const manualFor = (scenario: string) => {
  const key = Object.keys(MANUAL_MINUTES).find((k) => scenario.startsWith(k));
  return key ? MANUAL_MINUTES[key]! : MANUAL_MINUTES.job!;
};

const line = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join('  ');

async function main(): Promise<void> {
  const full = process.env.BENCH_FULL === '1';
  const out: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, full };

  process.stderr.write('cold start…\n');
  const cold = await benchColdStart();
  out.coldStart = cold;

  process.stderr.write('lag classification…\n');
  out.lag = await benchLag();

  process.stderr.write('checkpoint reader…\n');
  out.checkpoint = await benchCheckpoint({ s3rver: full });

  process.stderr.write(`replay (${full ? 1024 : 64} MiB DLQ)…\n`);
  out.replay = await benchReplay({ dlqMiB: full ? 1024 : 64 });

  process.stderr.write('alarm storm (10,000 events × 3 deliveries, 100 pipelines; ledger on dynalite, then in memory)…\n');
  const storm = await benchStorm();
  out.storm = storm;

  process.stderr.write('engine overhead per alarm (every I/O answered in memory)…\n');
  const overhead = await benchOverhead();
  out.overhead = overhead;

  process.stderr.write('drills (time to recover, simulated)…\n');
  const recover: { scenario: string; verdict: string; timeToRecoverSeconds: number | null; outcome: string; manualMinutes: string }[] = [];
  for (const file of await builtinScenarios()) {
    const r = await runScenario(await loadScenario(file));
    const ttr = r.incidents.map((i) => i.timeToRecoverSeconds).filter((t): t is number => t !== undefined);
    const outcome = [...new Set(r.incidents.map((i) => i.decision?.kind ?? 'none'))].join('+');
    recover.push({
      scenario: r.scenario,
      verdict: r.verdict,
      timeToRecoverSeconds: ttr.length ? Math.max(...ttr) : null,
      outcome,
      manualMinutes: manualFor(r.scenario),
    });
  }
  out.timeToRecover = recover;

  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/bench.json', `${JSON.stringify(out, null, 2)}\n`);

  const w = [22, 12, 12, 10, 10];
  const rows = [
    '## Cold start (fresh node process; ratio to the reference bundle: 3 SDK clients + middy + logger)',
    line(['bundle', 'bytes', 'import ms', 'bytes ×', 'import ×'], w),
    line(['reference', cold.reference.bytes, cold.reference.importMs, 1, 1], w),
    ...cold.functions.map((f) => line([f.bundle, f.bytes, f.importMs, f.bytesRatio, f.importRatio], w)),
    '',
    '## Lag classification and reaction (bench/lag.ts)',
    ...Object.entries(out.lag as Record<string, number>).map(([k, v]) => `  ${k}: ${v}`),
    '',
    '## Checkpoint reader, 10,000 batches (bench/checkpoint.ts)',
    `  ${JSON.stringify(out.checkpoint)}`,
    '',
    '## DLQ replay (bench/replay.ts)',
    (() => {
      const r = out.replay as Awaited<ReturnType<typeof benchReplay>>;
      return `  ${r.dlqMiB} MiB: raw ${Math.round(r.raw.recordsPerSecond)} rec/s, replay ${Math.round(r.replay.recordsPerSecond)} rec/s (ratio ${r.ratio}, goal ≥ 0.5), with the ledger on dynalite ${r.ratioWithDynaliteLedger}; peak RSS ${Math.max(r.raw.peakRssMiB, r.replay.peakRssMiB, r.replayWithDynaliteLedger.peakRssMiB)} MiB`;
    })(),
    '',
    `## Alarm storm: ${storm.events} alarm events × ${storm.copies} deliveries, ${storm.pipelines} pipelines, ${storm.concurrency} invocations in flight (bench/storm.ts; load ${storm.loadAverage.join('→')} on ${storm.cores} cores)`,
    line(
      ['ledger', 'wall s', 'CPU s', 'events/s', 'invocations', 'failed', 'actions', 'duplicates', 'ledger ops', 'peak RSS MiB'],
      [10, 8, 8, 9, 12, 8, 9, 11, 11, 12],
    ),
    ...(['dynalite', 'memory'] as const).flatMap((k) => {
      const r = storm[k];
      return r
        ? [
            line(
              [
                k,
                r.wallSeconds,
                r.cpuSeconds,
                r.eventsPerSecond,
                r.invocations,
                `${r.invocationErrors}/${r.deliveriesFailed}`,
                `${r.correctiveActions}/${r.expectedCorrectiveActions}`,
                r.duplicateActions,
                r.ledgerOps,
                r.peakRssMiB,
              ],
              [10, 8, 8, 9, 12, 8, 9, 11, 11, 12],
            ),
          ]
        : [];
    }),
    `  goals: wall ≤ ${storm.goalWallSeconds} s, duplicate actions 0; failed = invocations that threw / deliveries whose 3 attempts all failed; actions = corrective calls made / expected`,
    '',
    `## Engine overhead per alarm, every I/O answered in memory (bench/overhead.ts; ${overhead.rounds} × ${overhead.pipelinesPerRound} invocations per playbook; load ${overhead.loadAverage.join('→')} on ${overhead.cores} cores)`,
    line(['playbook', 'p50 ms', 'p99 ms', 'max ms', 'CPU p99', 'p99 no GC', 'RT all', 'RT platform', 'first corrective call'], [20, 8, 8, 8, 8, 10, 7, 12, 28]),
    ...overhead.playbooks.map((p) =>
      line(
        [
          p.playbook,
          p.engineMs.p50,
          p.engineMs.p99,
          p.engineMs.max,
          p.engineCpuMs.p99,
          p.engineMsWithoutGc.p99,
          p.roundTrips?.all ?? '—',
          p.roundTrips?.platform ?? '—',
          p.roundTrips?.to ?? '—',
        ],
        [20, 8, 8, 8, 8, 10, 7, 12, 28],
      ),
    ),
    `  goals: p99 ≤ ${overhead.goalP99Ms} ms, round trips to the first corrective call (or the escalation) ≤ ${overhead.goalRoundTrips}; RT all counts the ledger's DynamoDB calls, RT platform does not`,
    '',
    "## Time to recover in drills (simulated seconds) vs the seeds' manual times",
    line(['scenario', 'verdict', 'outcome', 'recover s', 'manual (min)'], [32, 8, 18, 10, 40]),
    ...recover.map((r) => line([r.scenario, r.verdict, r.outcome, r.timeToRecoverSeconds ?? '—', r.manualMinutes], [32, 8, 18, 10, 40])),
  ];
  process.stdout.write(`${rows.join('\n')}\n\nwritten: bench-results/bench.json\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
