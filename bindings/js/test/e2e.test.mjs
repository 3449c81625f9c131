// End to end against the local devserver: chunked parallel uploads from every
// kind of source, a stream upload, resume after an abort, verified downloads,
// typed failures from the server, and a listing read page by page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DownloadError, TransferError, UploadError, UsageError, createClient } from 'fastio-core';
import { bytes, createWorkspace, readAll, startDevserver } from './support/devserver.mjs';
import { crc32c } from './support/fake-upload-server.mjs';

const MiB = 1024 * 1024;
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

let server;
let client;
let workspace;
let dir;

before(async () => {
  server = await startDevserver();
  client = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  workspace = await createWorkspace(client, 'JsE2E');
  dir = await mkdtemp(join(tmpdir(), 'fastio-js-files-'));
});

after(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fetch that counts chunk requests and the most of them in flight at once. */
function countingFetch() {
  const stats = { chunkOrders: [], inFlight: 0, maxInFlight: 0 };
  const f = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const isChunk = req.method === 'POST' && /\/chunk\/?$/.test(url.pathname);
    if (isChunk) {
      stats.chunkOrders.push(Number(url.searchParams.get('order')));
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    }
    try {
      // Read the body out first: a streamed request body needs `duplex`.
      return await fetch(req);
    } finally {
      if (isChunk) stats.inFlight--;
    }
  };
  return { fetch: f, stats };
}

/** A ReadableStream of unknown length giving `data` in 64 KiB pieces. */
function streamOf(data) {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= data.length) return c.close();
      c.enqueue(data.slice(at, at + 65536));
      at += 65536;
    },
  });
}

async function downloadVerified(node, expected) {
  const stream = client.download(node, { workspace, verify: true });
  const got = await readAll(stream);
  const result = await stream.result;
  assert.equal(got.length, expected.length);
  assert.ok(got.equals(Buffer.from(expected)), 'downloaded bytes are identical');
  assert.equal(result.sha256, sha256(expected));
  assert.ok(result.checked, 'the server’s hash was checked');
  return result;
}

test('a multi-chunk Blob uploads in parallel and downloads verified', async () => {
  const data = bytes(9 * MiB + 123, 7);
  const { fetch, stats } = countingFetch();
  const c = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch });
  const seen = [];
  const done = await c.upload(new Blob([data]), {
    workspace,
    name: 'parallel.bin',
    chunkSize: MiB,
    parallel: 3,
    verifyStored: true,
    onProgress: (p) => seen.push(p),
  });
  assert.equal(done.size, data.length);
  assert.equal(done.crc32c, crc32c(data));
  // The end-to-end check: the stored node's MD5 against the bytes read.
  assert.deepEqual(done.stored, { check: 'matched' });
  assert.deepEqual(done.digest, { algo: 'md5', hex: createHash('md5').update(data).digest('hex') });
  assert.match(done.crc32c, /^[0-9a-f]{8}$/);
  assert.ok(done.nodeId);
  assert.deepEqual([...stats.chunkOrders].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1));
  assert.ok(stats.maxInFlight > 1 && stats.maxInFlight <= 3, `chunks in flight at once: ${stats.maxInFlight}`);
  const last = seen.at(-1);
  assert.deepEqual([last.bytesAcked, last.bytesTotal, last.chunksAcked, last.chunksTotal], [data.length, data.length, 10, 10]);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytesAcked >= seen[i - 1].bytesAcked, 'progress never goes back');
  await downloadVerified(done.nodeId, data);
});

test('chunks go out from the bytes this package read, a chunk holding the boundary mark from the core', async () => {
  const data = bytes(3 * MiB + 10, 41);
  data.set(new TextEncoder().encode('--fastio-'), MiB + 500); // in chunk 2
  const bodies = [];
  const c = createClient({
    baseUrl: server.baseUrl,
    apiKey: server.apiKey,
    fetch: async (input, init) => {
      const req = new Request(input, init);
      if (req.method === 'POST' && /\/chunk\/?$/.test(new URL(req.url).pathname)) {
        bodies.push(new Uint8Array(await req.clone().arrayBuffer()));
      }
      return fetch(req);
    },
  });
  const done = await c.upload(new Blob([data]), { workspace, name: 'kept.bin', chunkSize: MiB, singleRequestMax: MiB, parallel: 2 });
  assert.equal(done.crc32c, crc32c(data));
  // Each chunk request carries its chunk's bytes, whichever side wrote them.
  assert.equal(bodies.length, 4);
  const text = (b) => Buffer.from(b).toString('latin1');
  assert.ok(text(bodies.find((b) => text(b).includes('--fastio-') && b.byteLength > MiB) ?? new Uint8Array()).length > 0);
  await downloadVerified(done.nodeId, data);
});

test('serverLimits plans with the server’s /upload/limits/ chunk size instead of the one given', async () => {
  const stated = await client.call({ upload: { op: 'limits' } });
  const chunk = stated.chunk_size ?? stated.response?.chunk_size;
  assert.ok(Number.isSafeInteger(chunk) && chunk !== MiB, `server chunk size ${JSON.stringify(stated)}`);
  const data = bytes(9 * MiB + 5, 8);
  const { fetch, stats } = countingFetch();
  const c = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch });
  const done = await c.upload(new Blob([data]), { workspace, name: 'server-limits.bin', chunkSize: MiB, serverLimits: true });
  assert.equal(done.crc32c, crc32c(data));
  assert.equal(stats.chunkOrders.length, Math.ceil(data.length / chunk), `chunks sent: ${stats.chunkOrders}`);
  // Without it, the chunk size given is used.
  const plain = countingFetch();
  const c2 = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch: plain.fetch });
  await c2.upload(new Blob([data]), { workspace, name: 'given-limits.bin', chunkSize: MiB });
  assert.equal(plain.stats.chunkOrders.length, 10);
});

test('a file path uploads (Node) with its base name, chunked by the core’s default plan', async () => {
  const data = bytes(5 * MiB + 1, 11);
  const path = join(dir, 'report.pdf');
  await writeFile(path, data);
  const done = await client.upload(path, { workspace, digest: 'sha256' });
  assert.equal(done.crc32c, crc32c(data));
  assert.deepEqual(done.digest, { algo: 'sha256', hex: sha256(data) });
  assert.deepEqual(done.stored, { check: 'not-asked' });
  const list = await client.call({ storage: { op: 'list', profile: { workspace } } });
  assert.ok(list.nodes.some((n) => n.id === done.nodeId && n.name === 'report.pdf'), 'stored under the file’s name');
  await downloadVerified(done.nodeId, data);
});

test('a small File goes up in one request', async () => {
  const data = bytes(1000, 3);
  const { fetch, stats } = countingFetch();
  const c = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch });
  const done = await c.upload(new File([data], 'note.txt'), { workspace });
  assert.equal(stats.chunkOrders.length, 0, 'no chunk requests');
  assert.equal(done.size, 1000);
  await downloadVerified(done.nodeId, data);
});

test('a ReadableStream of unknown length streams up and downloads verified', async () => {
  const data = bytes(3 * MiB + 17, 5);
  const stream = streamOf(data);
  const done = await client.upload(stream, { workspace, name: 'streamed.bin' });
  assert.equal(done.size, data.length);
  assert.equal(done.crc32c, crc32c(data));
  await downloadVerified(done.nodeId, data);
});

test('a stream past its announced maximum fails as a typed stream_too_large error', async () => {
  const data = bytes(2 * MiB, 6);
  const stream = streamOf(data);
  await assert.rejects(
    client.upload(stream, { workspace, name: 'too-long.bin', streamMaxSize: MiB, chunkSize: 256 * 1024 }),
    (e) => e instanceof UploadError && e.kind === 'stream_too_large' && e.max === MiB && /1048576/.test(e.message),
  );
});

test('an aborted upload resumes from its token, sending only the missing chunks', async () => {
  const data = bytes(8 * MiB, 13);
  const path = join(dir, 'resume.bin');
  await writeFile(path, data);
  const tokenPath = join(dir, 'resume.token');
  const ctl = new AbortController();
  const first = countingFetch();
  const c1 = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch: first.fetch });
  let acked = 0;
  const err = await c1
    .upload(path, {
      workspace,
      chunkSize: MiB,
      parallel: 1,
      onResumeToken: (t) => writeFile(tokenPath, t),
      onProgress: (p) => {
        acked = p.chunksAcked;
        if (p.chunksAcked >= 3) ctl.abort(new Error('stopped by the test'));
      },
      signal: ctl.signal,
    })
    .then(
      () => assert.fail('the upload should have been aborted'),
      (e) => e,
    );
  assert.ok(err instanceof UploadError, String(err));
  assert.equal(err.kind, 'aborted');
  assert.equal(err.cause.message, 'stopped by the test');
  assert.ok(err.resumeToken, 'the error carries the resume token');
  assert.equal(JSON.parse(err.resumeToken).acked.length, 3, 'the error’s token holds the three acknowledged chunks');
  assert.ok(acked >= 3 && acked < 8);
  // The token saved last: the core hands one out as soon as the session
  // exists, then at most once a second, so it may know of fewer chunks than
  // were acknowledged; resuming from it asks the server for the rest.
  const saved = await readFile(tokenPath, 'utf8');
  assert.equal(JSON.parse(saved).upload_id, JSON.parse(err.resumeToken).upload_id, 'the saved token is the session’s');
  assert.ok(JSON.parse(saved).acked.length <= 3, 'no chunk is in the token before it was acknowledged');

  const second = countingFetch();
  const c2 = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch: second.fetch });
  const done = await c2.resume(saved, path, { parallel: 2 });
  assert.equal(done.crc32c, crc32c(data));
  const resent = [...second.stats.chunkOrders].sort((a, b) => a - b);
  assert.ok(!resent.includes(1) && !resent.includes(2) && !resent.includes(3), `resent ${resent}`);
  assert.deepEqual([...new Set([...first.stats.chunkOrders, ...resent])].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
  await downloadVerified(done.nodeId, data);
});

test('an upload keeping its token saves it on every persist, atomically, and removes it when stored', async () => {
  const data = bytes(6 * MiB + 7, 19);
  const tokenPath = join(dir, 'kept.token');
  const saves = [];
  let obsolete = 0;
  // What a caller does with the token: write beside, flush, rename over; delete once stored.
  const save = async (token) => {
    const tmp = `${tokenPath}.tmp`;
    const f = await open(tmp, 'w', 0o600);
    try {
      await f.writeFile(token);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, tokenPath);
    saves.push(JSON.parse(token));
  };
  const onDisk = [];
  const done = await client.upload(new Blob([data]), {
    workspace,
    name: 'kept.bin',
    chunkSize: MiB,
    parallel: 2,
    onResumeToken: save,
    onResumeTokenObsolete: async () => {
      obsolete++;
      await rm(tokenPath);
    },
    onProgress: (p) => {
      let token;
      try {
        token = JSON.parse(readFileSync(tokenPath, 'utf8'));
      } catch {
        token = undefined;
      }
      onDisk.push([p.chunksAcked, token]);
    },
  });
  assert.equal(done.crc32c, crc32c(data));
  assert.ok(saves.length >= 2, `tokens saved: ${saves.length}`);
  // The session's token comes before any chunk is sent, the last one holds every chunk.
  assert.deepEqual(saves[0].acked, []);
  assert.deepEqual(saves.at(-1).acked.map((a) => a.order), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(new Set(saves.map((t) => t.upload_id)).size, 1);
  assert.equal(saves[0].upload_id, done.uploadId);
  assert.equal(obsolete, 1);
  await assert.rejects(readFile(tokenPath), { code: 'ENOENT' }, 'the token is removed once the file is stored');
  for (const [acked, token] of onDisk) {
    assert.ok(token, `a token was on disk after ${acked} chunks`);
    assert.ok(token.acked.length <= acked);
  }
  // Without onResumeToken nothing is handed out to save.
  let calls = 0;
  await client.upload(new Blob([data]), {
    workspace, name: 'unkept.bin', chunkSize: MiB, onResumeTokenObsolete: () => { calls++; },
  });
  assert.equal(calls, 0);
  await downloadVerified(done.nodeId, data);
});

test('a download whose bytes differ from the node’s hash errors before its last piece', async () => {
  const data = bytes(2 * MiB + 5, 17);
  const done = await client.upload(new Blob([data]), { workspace, name: 'tampered.bin' });
  // Flip one byte of the file body on its way in.
  const tampering = async (input, init) => {
    const res = await fetch(input, init);
    const url = new URL(new Request(input, init).url);
    if (!/\/read\/?$/.test(url.pathname)) return res;
    let flipped = false;
    const body = res.body.pipeThrough(
      new TransformStream({
        transform(chunk, c) {
          if (!flipped && chunk.length > 0) {
            chunk = chunk.slice();
            chunk[0] ^= 0xff;
            flipped = true;
          }
          c.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, headers: res.headers });
  };
  const c = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, fetch: tampering });
  const stream = c.download(done.nodeId, { workspace });
  let received = 0;
  const err = await (async () => {
    for await (const p of stream) received += p.length;
  })().then(
    () => assert.fail('the stream should have errored'),
    (e) => e,
  );
  assert.ok(err instanceof DownloadError, String(err));
  assert.equal(err.kind, 'verify');
  assert.ok(received < data.length, `the last piece was held back (${received} of ${data.length})`);
  await assert.rejects(stream.result, DownloadError);
});

test('a missing node fails the download stream with the server’s typed answer', async () => {
  const stream = client.download('not-a-node', { workspace });
  const err = await readAll(stream).then(
    () => assert.fail('expected an error'),
    (e) => e,
  );
  assert.ok(err instanceof DownloadError, String(err));
  assert.equal(err.kind, 'api');
  assert.ok(err.apiError.status >= 400 && err.apiError.status < 500, `status ${err.apiError.status}`);
  assert.equal(err.apiError.retry.kind, 'never');
});

test('a wrong API key fails with status and code, and the key appears nowhere', async () => {
  const secret = 'wrong-key-do-not-print-0123456789';
  const c = createClient({ baseUrl: server.baseUrl, apiKey: secret });
  const err = await c.upload(new Blob([bytes(10)]), { workspace, name: 'x.bin' }).then(
    () => assert.fail('expected an error'),
    (e) => e,
  );
  assert.ok(err instanceof UploadError, String(err));
  assert.equal(err.kind, 'api');
  assert.equal(err.apiError.status, 401);
  assert.equal(err.apiError.errorCode, 'APP_AUTH_INVALID');
  const shown = [String(err), err.stack, JSON.stringify(err), JSON.stringify(err.apiError.detail), String(c), JSON.stringify(c)].join('\n');
  assert.ok(!shown.includes(secret), 'the key leaked into an error or the client');
  const { inspect } = await import('node:util');
  assert.ok(!inspect(c, { showHidden: true, depth: 5 }).includes(secret));
  await assert.rejects(c.call({ orgs: { op: 'list' } }), (e) => e.status === 401 && !e.message.includes(secret));
});

test('a chunk corrupted on the server fails as a typed integrity error', async () => {
  await server.faults({ path_contains: '/chunk/', schedule: [{ request: 2, fault: 'corrupt_chunk' }] });
  try {
    const err = await client.upload(new Blob([bytes(6 * MiB, 19)]), { workspace, name: 'corrupt.bin', chunkSize: 2 * MiB }).then(
      () => assert.fail('expected an integrity failure'),
      (e) => e,
    );
    assert.ok(err instanceof UploadError, String(err));
    assert.equal(err.kind, 'integrity');
    assert.ok(err.expected && err.computed && err.expected !== err.computed);
  } finally {
    await server.faults(null);
  }
});

test('server 503s on chunks are retried by the core until stored', async () => {
  await server.faults({ seed: 3, path_contains: '/chunk/', status_503: 0.3 });
  try {
    const data = bytes(5 * MiB, 23);
    const done = await client.upload(new Blob([data]), { workspace, name: 'flaky.bin', chunkSize: MiB });
    assert.equal(done.crc32c, crc32c(data));
  } finally {
    await server.faults(null);
  }
});

/**
 * A proxy on 127.0.0.1 in front of the devserver that records, for each chunk
 * request, the framing it arrived with: what the socket carried, which a
 * fetch wrapper cannot see.
 */
async function framingProxy() {
  const chunks = [];
  const target = new URL(server.baseUrl);
  const proxy = createServer(async (req, res) => {
    const parts = [];
    for await (const p of req) parts.push(p);
    const body = Buffer.concat(parts);
    if (/\/chunk\/?(\?|$)/.test(req.url) && req.method === 'POST') {
      chunks.push({
        contentLength: req.headers['content-length'],
        transferEncoding: req.headers['transfer-encoding'],
        received: body.length,
        chunkSize: Number(new URL(req.url, target.origin).searchParams.get('size')),
      });
    }
    const headers = Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'transfer-encoding'].includes(k));
    if (req.headers['transfer-encoding'] !== undefined) headers.push(['content-length', String(body.length)]);
    try {
      const up = await fetch(new URL(req.url, target.origin), {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      });
      const answer = Buffer.from(await up.arrayBuffer());
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(answer);
    } catch {
      // The devserver's injected faults may drop a connection mid-body:
      // the client sees the same, a dropped connection, and retries.
      res.destroy();
    }
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${proxy.address().port}${target.pathname}`;
  return {
    baseUrl,
    chunks,
    close: () =>
      new Promise((resolve) => {
        proxy.close(resolve);
        // Idle keep-alive connections would hold close() open.
        proxy.closeAllConnections();
      }),
  };
}

test('a file’s chunk requests carry an exact Content-Length, and read buffers reused after success survive retries', async () => {
  const proxy = await framingProxy();
  await server.faults({ seed: 5, path_contains: '/chunk/', status_503: 0.3 });
  try {
    // Ten chunks: more than the buffers a file source keeps, so they are
    // read into again; the devserver checks every chunk's CRC32C.
    const data = bytes(9 * MiB + 7, 31);
    const path = join(dir, 'reused.bin');
    await writeFile(path, data);
    const viaProxy = createClient({ baseUrl: proxy.baseUrl, apiKey: server.apiKey });
    const done = await viaProxy.upload(path, { workspace, chunkSize: MiB });
    assert.equal(done.crc32c, crc32c(data));
    await server.faults(null);
    await downloadVerified(done.nodeId, data);
    assert.ok(proxy.chunks.length > 10, `retries were made (${proxy.chunks.length} chunk requests)`);
    assert.equal(proxy.chunks.filter((c) => c.chunkSize === MiB).length >= 9, true, 'nine whole chunks');
    for (const c of proxy.chunks) {
      assert.equal(c.transferEncoding, undefined, 'never chunked transfer encoding');
      assert.equal(Number(c.contentLength), c.received, 'the announced length is what arrived');
      assert.ok(c.received > c.chunkSize, 'the whole chunk in its multipart framing');
    }
  } finally {
    await server.faults(null);
    await proxy.close();
  }
});

test('a 429 costs only its stated wait', async () => {
  // The devserver's 429 says the window reopens in a second (x-ve-limit-expires
  // against its own Date); the core makes that a one-second wait, not the 300 s cap.
  await server.faults({ path_contains: '/upload/', schedule: [{ request: 1, fault: '429' }] });
  try {
    const data = bytes(3 * MiB, 29);
    const t0 = performance.now();
    const done = await client.upload(new Blob([data]), { workspace, name: 'limited.bin', chunkSize: MiB });
    const secs = (performance.now() - t0) / 1000;
    const log = await server.injected();
    assert.equal(log.length, 1, JSON.stringify(log));
    assert.equal(done.crc32c, crc32c(data));
    assert.ok(secs < 20, `one 429 cost ${secs.toFixed(1)} s`);
  } finally {
    await server.faults(null);
  }
});

test('a listing longer than one page comes back whole, every item once', async () => {
  const parent = await client.call({
    storage: { op: 'create_folder', profile: { workspace }, name: `paged-${Date.now()}-${Math.random().toString(36).slice(2)}` },
  });
  const made = [];
  for (let i = 0; i < 105; i++) {
    const child = await client.call({ storage: { op: 'create_folder', profile: { workspace }, parent: parent.id, name: `f${i}` } });
    made.push(child.id);
  }
  assert.equal(new Set(made).size, 105, '105 distinct folders were made');
  const list = { storage: { op: 'list', profile: { workspace }, folder: parent.id, page_size: 100 } };

  const pages = [];
  for await (const page of client.pages(list)) pages.push(page);
  assert.deepEqual(pages.map((p) => [p.status, p.items.length, p.done]), [[200, 100, false], [200, 5, true]]);
  assert.equal(pages[0].payload.pagination.has_more, true);

  const ids = [];
  const names = [];
  for await (const item of client.items(list)) {
    ids.push(item.id);
    names.push(item.name);
  }
  assert.equal(ids.length, 105, 'no item missing or repeated');
  assert.deepEqual([...ids].sort(), [...made].sort(), 'exactly the folders made, each once');
  assert.deepEqual(new Set(names), new Set(made.map((_, i) => `f${i}`)));
  assert.deepEqual(pages.flatMap((p) => p.items.map((x) => x.id)), ids, 'pages and items agree, in order');

  const first = [];
  await assert.rejects(
    (async () => {
      for await (const page of client.pages(list, { maxPages: 1 })) first.push(...page.items);
    })(),
    (e) => e instanceof TransferError && e.kind === 'page_limit',
  );
  assert.equal(first.length, 100, 'the first page was read before the bound');

  await assert.rejects(
    client.items({ orgs: { op: 'details', org_id: '1' } }).next(),
    (e) => e instanceof UsageError && e.code === 'not-pageable',
  );
});
