// s3rver with S3's conditional writes, for the durable embedded broker.
//
// Tansu keeps each partition's watermark and its producer table in JSON objects that it
// updates with conditional PUTs (If-None-Match: * to create, If-Match: ETAG to update), as
// AWS S3 has supported since 2024. s3rver 3 ignores both headers and overwrites, so after a
// broker restart Tansu's first produce would start a partition again at offset 0 and overwrite
// acknowledged messages. This runs s3rver with a middleware that answers 412 Precondition
// Failed exactly where S3 would; Tansu then reads the stored state and retries.
//
// Usage: node s3rver_conditional.js DIRECTORY PORT BUCKET   (NODE_PATH: s3rver's node_modules)
'use strict';

const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

const [directory, port, bucket] = process.argv.slice(2);
const server = new S3rver({
  directory,
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});

// Conditional writes to one key are serialized, so check-then-write is atomic.
const locks = new Map();

async function withLock(key, work) {
  const previous = locks.get(key) || Promise.resolve();
  let release;
  const current = new Promise(resolve => (release = resolve));
  const chained = previous.then(() => current);
  locks.set(key, chained);
  await previous;
  try {
    return await work();
  } finally {
    release();
    if (locks.get(key) === chained) locks.delete(key);
  }
}

async function currentEtag(store, bucketName, key) {
  if (!(await store.existsObject(bucketName, key))) return null;
  const metadata = await store.getMetadata(bucketName, key);
  return metadata.etag;
}

server.middleware.unshift(async (ctx, next) => {
  const ifNoneMatch = ctx.get('if-none-match');
  const ifMatch = ctx.get('if-match');
  if (ctx.method !== 'PUT' || ctx.querystring || (!ifNoneMatch && !ifMatch)) {
    return next();
  }
  const [bucketName, ...parts] = ctx.path.replace(/^\//, '').split('/');
  const key = parts.map(decodeURIComponent).join('/');
  return withLock(`${bucketName}/${key}`, async () => {
    const etag = await currentEtag(server.store, bucketName, key);
    const failed =
      (ifNoneMatch === '*' && etag !== null) ||
      (ifMatch && (etag === null || ifMatch.replace(/"/g, '') !== etag.replace(/"/g, '')));
    if (failed) {
      const error = new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: ifMatch ? 'If-Match' : 'If-None-Match' },
      );
      ctx.status = error.status;
      ctx.type = 'application/xml';
      ctx.body = error.toXML();
      return undefined;
    }
    return next();
  });
});

server.run().catch(error => {
  console.error(`s3rver could not start: ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
