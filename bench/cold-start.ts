import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import exampleConfig from '../streamfix.config';
import { ENV_VARS } from '../lambdas/core/env';

/**
 * Cold start of each function bundle: built exactly as lib/playbook-function.ts builds it
 * (ESM, node22, minified, createRequire banner, config baked in), then imported in a fresh
 * `node` process. A reference bundle (three SDK clients + middy + Powertools logger) is built
 * and imported the same way in the same run, so the ratio does not depend on the machine.
 */

const ROOT = new URL('..', import.meta.url).pathname;
const BANNER = "import { createRequire as __streamfixCreateRequire } from 'module'; const require = __streamfixCreateRequire(import.meta.url);";
const NOT_ENTRIES = new Set(['create.ts', 'factory.ts', 'lambda.ts', 'operation-lambda.ts']);

const REFERENCE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
const logger = new Logger({ serviceName: 'reference' });
const clients = [new DynamoDBClient({}), new S3Client({}), new SNSClient({})];
export const handler = middy(async () => { logger.info('x'); return clients.length; });
`;

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    logLevel: 'silent',
    define: { 'process.env.STREAMFIX_CONFIG_JSON': JSON.stringify(JSON.stringify(exampleConfig)) },
  });
  return (await stat(outfile)).size;
}

/** Median milliseconds of `import(file)` in a fresh node process, over `runs` processes. */
function importMs(file: string, runs: number): number {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
  };
  for (const v of Object.values(ENV_VARS)) env[v] = v === ENV_VARS.topicArn ? 'arn:aws:sns:eu-west-1:123456789012:t' : 'bench';
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })));
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

export interface ColdStartFigure {
  bundle: string;
  bytes: number;
  importMs: number;
  bytesRatio: number;
  importRatio: number;
}

export async function benchColdStart(runs = 5): Promise<{ reference: { bytes: number; importMs: number }; functions: ColdStartFigure[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'streamfix-cold-'));
  try {
    const refEntry = join(ROOT, 'bench', '.reference-entry.ts');
    await writeFile(refEntry, REFERENCE);
    let refBytes: number;
    try {
      refBytes = await bundle(refEntry, join(dir, 'reference.mjs'));
    } finally {
      await rm(refEntry, { force: true });
    }
    const reference = { bytes: refBytes, importMs: importMs(join(dir, 'reference.mjs'), runs) };
    const entries = (await readdir(join(ROOT, 'lambdas', 'handlers'))).filter((f) => f.endsWith('.ts') && !NOT_ENTRIES.has(f)).sort();
    const functions: ColdStartFigure[] = [];
    for (const f of entries) {
      const out = join(dir, f.replace(/\.ts$/, '.mjs'));
      const bytes = await bundle(join(ROOT, 'lambdas', 'handlers', f), out);
      const ms = importMs(out, runs);
      functions.push({
        bundle: f.replace(/\.ts$/, ''),
        bytes,
        importMs: ms,
        bytesRatio: Math.round((bytes / reference.bytes) * 100) / 100,
        importRatio: Math.round((ms / reference.importMs) * 100) / 100,
      });
    }
    return { reference, functions };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
