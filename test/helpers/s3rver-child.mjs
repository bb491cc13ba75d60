// Runs s3rver in its own process: its listing continuation tokens use DES, which Node 17+
// only offers with the legacy OpenSSL provider (set by the parent in NODE_OPTIONS).
// With `serial` as third argument it applies one repair: s3rver deletes the keys of a
// DeleteObjects request in parallel and then removes the directories they emptied, so two
// deletions in one directory race on the same rmdir and the request fails with InternalError.
// S3 has no directories; here the deletions of a request then run one after the other.
import { createRequire } from 'node:module';
import S3rver from 's3rver';

const [directory, bucketsJson, mode] = process.argv.slice(2);
if (mode === 'serial') {
  const require = createRequire(import.meta.url);
  const FilesystemStore = require('s3rver/lib/stores/filesystem.js');
  const deleteObject = FilesystemStore.prototype.deleteObject;
  let chain = Promise.resolve();
  FilesystemStore.prototype.deleteObject = function serialDelete(bucket, key) {
    const run = chain.then(() => deleteObject.call(this, bucket, key));
    chain = run.catch(() => undefined);
    return run;
  };
}
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
