import { mkdir, writeFile } from 'node:fs/promises';
import { builtinScenarios } from '../drills/cli';
import { runScenario } from '../drills/runner';
import { loadScenario } from '../drills/scenario/load';
import { benchCheckpoint } from './checkpoint';
import { benchColdStart } from './cold-start';
import { benchLag } from './lag';
import { benchReplay } from './replay';

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

  process.stderr.write('drills (time to recover, simulated)…\n');
  const recover: { scenario: string; verdict: string; timeToRecoverSeconds: number | null; outcome: string; manualMinutes: string }[] = [];
  for (const file of await builtinScenarios()) {
    const r = await runScenario(await loadScenario(file));
    const ttr = r.incidents.map((i) => i.timeToRecoverSeconds).filter((t): t is number => t !== undefined);
    const outcome = [...new Set(r.incidents.map((i) => i.decision?.kind ?? 'none'))].join('+');
    recover.push({ scenario: r.scenario, verdict: r.verdict, timeToRecoverSeconds: ttr.length ? Math.max(...ttr) : null, outcome, manualMinutes: manualFor(r.scenario) });
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
    '## Time to recover in drills (simulated seconds) vs the seeds\' manual times',
    line(['scenario', 'verdict', 'outcome', 'recover s', 'manual (min)'], [32, 8, 18, 10, 40]),
    ...recover.map((r) => line([r.scenario, r.verdict, r.outcome, r.timeToRecoverSeconds ?? '—', r.manualMinutes], [32, 8, 18, 10, 40])),
  ];
  process.stdout.write(`${rows.join('\n')}\n\nwritten: bench-results/bench.json\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
