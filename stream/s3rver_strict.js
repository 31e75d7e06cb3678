// s3rver made to keep the two promises of S3 that Tansu's durable log depends on.
//
// 1. Conditional writes. Tansu keeps each partition's watermark and its producer table in JSON
//    objects that it updates with conditional PUTs (If-None-Match: * to create, If-Match: ETAG
//    to update), as AWS S3 has supported since 2024. s3rver 3 ignores both headers and
//    overwrites, so after a broker restart Tansu's first produce would start a partition again
//    at offset 0 and overwrite acknowledged messages. Here they are answered 412 exactly where
//    S3 would; Tansu then reads the stored state and retries.
// 2. Whole uploads or none. s3rver streams a PUT's body straight into the object's file, so a
//    broker killed mid-upload left a truncated object: an empty record batch at an offset the
//    watermark had already passed, on which every later fetch of that partition failed
//    ("TryGetError { requested: 8, available: 0 }") and the consumers stalled for good. S3 never
//    stores a body shorter than its Content-Length; here it is received whole, written to a
//    temporary file and renamed into place, or refused with IncompleteBody and nothing stored.
//
// Reads and writes of one key are serialized, so a reader never sees an object's new metadata
// beside its old bytes, and a condition's check and the write it guards are one step.
//
// Usage: node s3rver_strict.js DIRECTORY PORT BUCKET   (NODE_PATH: s3rver's node_modules)
'use strict';

const { AsyncLocalStorage } = require('node:async_hooks');
const crypto = require('node:crypto');
const fsp = require('node:fs/promises');
const http = require('node:http');
const path = require('node:path');
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
const store = server.store;

// -- one key at a time ------------------------------------------------------------------------

const tails = new Map();
// The keys the current async call chain holds, so a locked method may call another (getObject
// calls getMetadata) without waiting on itself.
const held = new AsyncLocalStorage();

async function withKey(bucketName, key, work) {
  const name = `${bucketName}/${key}`;
  const mine = held.getStore() || new Set();
  if (mine.has(name)) return work();
  const previous = tails.get(name) || Promise.resolve();
  let release;
  const current = new Promise(resolve => (release = resolve));
  const tail = previous.then(() => current);
  tails.set(name, tail);
  await previous;
  try {
    return await held.run(new Set([...mine, name]), work);
  } finally {
    release();
    if (tails.get(name) === tail) tails.delete(name);
  }
}

// -- whole uploads ----------------------------------------------------------------------------

function incompleteBody(received, expected) {
  return new S3Error(
    'IncompleteBody',
    'You did not provide the number of bytes specified by the Content-Length HTTP header',
    { NumberBytesExpected: String(expected), NumberBytesProvided: String(received) },
  );
}

async function receiveWhole(content, expectedLength) {
  if (Buffer.isBuffer(content)) return content;
  const chunks = [];
  let received = 0;
  try {
    for await (const chunk of content) {
      chunks.push(chunk);
      received += chunk.length;
    }
  } catch (error) {
    throw incompleteBody(received, expectedLength);
  }
  const cutOff = content instanceof http.IncomingMessage && !content.complete;
  const short = Number.isFinite(expectedLength) && received !== expectedLength;
  if (cutOff || short) throw incompleteBody(received, expectedLength);
  return Buffer.concat(chunks, received);
}

async function writeFileDurably(target, data) {
  const temporary = `${target}.${crypto.randomUUID()}.partial`;
  const handle = await fsp.open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temporary, target);
}

// -- conditions -------------------------------------------------------------------------------

const unquote = etag => etag.replace(/"/g, '');

function preconditionFailed(condition) {
  return new S3Error(
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    { Condition: condition },
  );
}

async function checkConditions(object, headers) {
  const ifNoneMatch = headers['if-none-match'];
  const ifMatch = headers['if-match'];
  if (!ifNoneMatch && !ifMatch) return;
  const etag = await store.getMetadata(object.bucket, object.key).then(
    metadata => metadata.etag,
    error => {
      if (error.code === 'ENOENT') return null;
      throw error;
    },
  );
  if (ifNoneMatch === '*' && etag !== null) throw preconditionFailed('If-None-Match');
  if (ifMatch && (etag === null || (ifMatch !== '*' && unquote(ifMatch) !== unquote(etag)))) {
    throw preconditionFailed('If-Match');
  }
}

// -- the store, wrapped -----------------------------------------------------------------------

const original = {
  getMetadata: store.getMetadata.bind(store),
  getObject: store.getObject.bind(store),
  deleteObject: store.deleteObject.bind(store),
  copyObject: store.copyObject.bind(store),
};

store.getMetadata = (b, key) => withKey(b, key, () => original.getMetadata(b, key));
store.getObject = (b, key, options) => withKey(b, key, () => original.getObject(b, key, options));
store.deleteObject = (b, key) => withKey(b, key, () => original.deleteObject(b, key));
store.copyObject = (srcBucket, srcKey, destBucket, destKey, ...rest) =>
  withKey(destBucket, destKey, () =>
    original.copyObject(srcBucket, srcKey, destBucket, destKey, ...rest),
  );

store.putObject = async function putWholeObject(object) {
  const headers = object.content instanceof http.IncomingMessage ? object.content.headers : {};
  const declared = headers['content-length'];
  let body;
  try {
    body = await receiveWhole(object.content, declared === undefined ? NaN : Number(declared));
  } catch (error) {
    console.error(`refused an incomplete upload of ${object.bucket}/${object.key}; nothing stored`);
    throw error;
  }
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  return withKey(object.bucket, object.key, async () => {
    await checkConditions(object, headers);
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await fsp.mkdir(path.dirname(objectPath), { recursive: true });
    // Without its .md5 file s3rver hashes the object itself, so a crash between these steps
    // can leave an object without metadata but never with another object's ETag.
    await fsp.rm(`${objectPath}.md5`, { force: true });
    await store.putMetadata(object.bucket, object.key, object.metadata);
    await writeFileDurably(objectPath, body);
    await writeFileDurably(`${objectPath}.md5`, md5);
    return { size: body.length, md5 };
  });
};

server.run().catch(error => {
  console.error(`s3rver could not start: ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
