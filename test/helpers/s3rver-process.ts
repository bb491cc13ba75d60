import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsClientOptions } from '../../lambdas/adapters/clients';

/**
 * s3rver (a real S3 protocol peer on loopback) in a child process started and stopped by the
 * test, with the legacy OpenSSL provider its paging needs. Returns client options for it.
 * `serialDeletes`: DeleteObjects removes a request's keys one after the other (see
 * s3rver-child.mjs), which checkpoint resets and restores need since they empty directories.
 */
export async function startS3rver(
  buckets: string[],
  opts: { serialDeletes?: boolean } = {},
): Promise<{ endpoint: string; aws: AwsClientOptions; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const args = [fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url)), dir, JSON.stringify(buckets), ...(opts.serialDeletes ? ['serial'] : [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(buf.slice(0, nl)) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    aws: {
      region: 'eu-west-1',
      endpoints: { s3: endpoint },
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
    },
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
