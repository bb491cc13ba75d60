// Runs s3rver in its own process: its listing continuation tokens use DES, which Node 17+
// only offers with the legacy OpenSSL provider (set by the parent in NODE_OPTIONS).
import S3rver from 's3rver';

const [directory, bucketsJson] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  allowMismatchedSignatures: true,
  configureBuckets: JSON.parse(bucketsJson).map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
