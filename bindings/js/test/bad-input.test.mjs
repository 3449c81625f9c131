// Bad input gets typed errors: never a crash, a hang, a leaked secret or an
// unhandled rejection.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ApiError,
  DownloadError,
  FastioError,
  TransportError,
  UploadError,
  UsageError,
  WebhookError,
  WebhookVerifier,
  buildRequest,
  createClient,
  decodeResponse,
  hash,
  signWebhook,
  verifyWebhook,
} from 'fastio-core';

const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);
process.on('unhandledRejection', onUnhandled);

after(async () => {
  // Let stray promises settle before looking.
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejections');
});

const SECRET = 'a-webhook-secret-that-must-not-leak';
const BODY = '{"event":"workspace_storage_file_added","data":{}}';
const OPTS = { scheme: 'fastio', secrets: [SECRET], tolerance: 300 };

async function signedRequest(body = BODY, secret = SECRET) {
  const headers = await signWebhook('fastio', secret, body);
  return new Request('https://receiver.example/hook', { method: 'POST', headers, body });
}

function noSecret(e) {
  for (const text of [String(e), e.stack ?? '', JSON.stringify(e)]) {
    assert.ok(!text.includes(SECRET), 'the secret appears in an error');
  }
}

test('verifyWebhook: a good delivery verifies and hands back the raw body', async () => {
  const d = await verifyWebhook(await signedRequest(), OPTS);
  assert.equal(d.scheme, 'fastio');
  assert.equal(d.secretIndex, 0);
  assert.equal(d.text(), BODY);
  assert.deepEqual(d.json(), JSON.parse(BODY));
});

test('verifyWebhook: anything but a Request is a UsageError', async () => {
  const resp = new Response(BODY);
  for (const bad of [undefined, null, 42, 'POST /hook', {}, { headers: new Headers(), body: BODY }, resp]) {
    await assert.rejects(verifyWebhook(bad, OPTS), (e) => e instanceof UsageError && e.code === 'not-a-request', String(bad));
  }
});

test('verifyWebhook: a consumed body is a UsageError, not a failed signature', async () => {
  const req = await signedRequest();
  await req.json();
  await assert.rejects(verifyWebhook(req, OPTS), (e) => e instanceof UsageError && e.code === 'body-used');
});

test('verifyWebhook: a missing signature header is a WebhookError', async () => {
  const req = new Request('https://receiver.example/hook', { method: 'POST', body: BODY });
  await assert.rejects(verifyWebhook(req, OPTS), (e) => e instanceof WebhookError && e.kind === 'missing_header');
});

test('verifyWebhook: a wrong secret is refused and no secret shows in the error', async () => {
  const req = await signedRequest(BODY, 'the-sender-used-another-secret');
  const err = await verifyWebhook(req, OPTS).then(() => assert.fail('accepted'), (e) => e);
  assert.ok(err instanceof WebhookError);
  assert.equal(err.kind, 'no_matching_signature');
  noSecret(err);
});

test('verifyWebhook: a body reparsed and reserialised is refused with a hint', async () => {
  const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
  const headers = await signWebhook('fastio', SECRET, BODY);
  const req = new Request('https://receiver.example/hook', { method: 'POST', headers, body: pretty });
  await assert.rejects(verifyWebhook(req, OPTS), (e) => e instanceof WebhookError && e.kind === 'no_matching_signature' && typeof e.hint === 'string');
});

test('verifyWebhook: an oversized body is refused without reading it all', async () => {
  let pulled = 0;
  const big = new ReadableStream({
    pull(c) {
      pulled += 65536;
      c.enqueue(new Uint8Array(65536));
    },
  });
  const req = new Request('https://receiver.example/hook', { method: 'POST', body: big, duplex: 'half', headers: { 'x-fastio-signature': 'ab'.repeat(32) } });
  await assert.rejects(verifyWebhook(req, OPTS), (e) => e instanceof WebhookError && e.kind === 'body_too_large');
  assert.ok(pulled < 2 * 1024 * 1024, `read ${pulled} bytes of an endless body`);
});

test('verifyWebhook: a body that breaks off is a TransportError', async () => {
  const broken = new ReadableStream({
    start(c) {
      c.enqueue(new Uint8Array(10));
      c.error(new Error('connection reset'));
    },
  });
  const req = new Request('https://receiver.example/hook', { method: 'POST', body: broken, duplex: 'half' });
  await assert.rejects(verifyWebhook(req, OPTS), (e) => e instanceof TransportError && /connection reset/.test(e.message));
});

test('verifyWebhook: timestamps outside the tolerance are refused both ways', async () => {
  const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
  const sign = (ts) => signWebhook('standard-webhooks', secret, BODY, { id: 'msg_1', timestamp: ts });
  const req = async (ts) => new Request('https://r.example/', { method: 'POST', headers: await sign(ts), body: BODY });
  const opts = { scheme: 'standard-webhooks', secrets: secret, tolerance: 300, now: 1_800_000_000 };
  const ok = await verifyWebhook(await req(1_800_000_000 - 100), opts);
  assert.equal(ok.id, 'msg_1');
  assert.equal(ok.timestamp, 1_800_000_000 - 100);
  await assert.rejects(verifyWebhook(await req(1_800_000_000 - 301), opts), (e) => e.kind === 'timestamp_too_old');
  await assert.rejects(verifyWebhook(await req(1_800_000_000 + 301), opts), (e) => e.kind === 'timestamp_in_future');
  // Skipping the check is written down.
  assert.equal((await verifyWebhook(await req(1), { ...opts, tolerance: false })).timestamp, 1);
});

test('verifyWebhook: bad options are UsageErrors that never echo the secrets', async () => {
  const cases = [
    { ...OPTS, tolerance: undefined },
    { ...OPTS, tolerance: -1 },
    { ...OPTS, tolerance: 1.5 },
    { ...OPTS, secrets: [SECRET, 7] },
    { ...OPTS, secrets: undefined },
    { ...OPTS, scheme: 3 },
  ];
  for (const o of cases) {
    const err = await verifyWebhook(await signedRequest(), o).then(() => assert.fail('accepted'), (e) => e);
    assert.ok(err instanceof UsageError, String(err));
    noSecret(err);
  }
  await assert.rejects(verifyWebhook(await signedRequest(), { ...OPTS, scheme: 'carrier-pigeon' }), WebhookError);
  await assert.rejects(verifyWebhook(await signedRequest(), { ...OPTS, secrets: [] }), (e) => e instanceof WebhookError && e.kind === 'invalid_secret');
});

test('WebhookVerifier: reusable, and refuses use after dispose', async () => {
  const v = await WebhookVerifier.create(OPTS);
  for (let i = 0; i < 3; i++) assert.equal((await v.verify(await signedRequest())).scheme, 'fastio');
  const headers = await signWebhook('fastio', SECRET, BODY);
  assert.equal(v.verifyRaw(headers, BODY).secretIndex, 0);
  assert.equal(v.verifyRaw(new Headers(headers), new TextEncoder().encode(BODY)).secretIndex, 0);
  v.dispose();
  assert.throws(() => v.verifyRaw(headers, BODY), (e) => e instanceof UsageError && e.code === 'disposed');
});

// ---------------------------------------------------------------- client

const noFetch = () => assert.fail('nothing should be sent');

test('client: bad configuration and bad arguments are UsageErrors', async () => {
  assert.throws(() => createClient({ apiKey: 'a', jwt: 'b' }), UsageError);
  assert.throws(() => createClient({ apiKey: '' }), UsageError);
  assert.throws(() => createClient({ chunkParams: 'body' }), UsageError);
  const c = createClient({ baseUrl: 'http://x.invalid/current/', apiKey: 'k', fetch: noFetch });
  await assert.rejects(c.upload(42, { workspace: 'w', name: 'n' }), (e) => e instanceof UsageError && e.code === 'bad-source');
  await assert.rejects(c.upload(new Blob(['x']), { name: 'n' }), UsageError);
  await assert.rejects(c.upload(new Blob(['x']), undefined), UsageError);
  await assert.rejects(c.upload(new Blob(['x']), { workspace: 'w' }), (e) => e instanceof UsageError && /name/.test(e.message));
  await assert.rejects(c.upload(new Blob(['x']), { workspace: 'w', name: 'n', chunkSize: -1 }), UsageError);
  const locked = new ReadableStream();
  locked.getReader();
  await assert.rejects(c.upload(locked, { workspace: 'w', name: 'n' }), (e) => e.code === 'stream-locked');
  await assert.rejects(c.upload('/no/such/file', { workspace: 'w' }), (e) => e.code === 'ENOENT');
  await assert.rejects(c.resume('', new Blob(['x'])), UsageError);
  await assert.rejects(c.resume('{}', new ReadableStream()), UsageError);
  assert.throws(() => c.download('', { workspace: 'w' }), UsageError);
  assert.throws(() => c.download('n', { workspace: 'w', verify: false }), UsageError);
  await assert.rejects(c.call({ nonsense: {} }), (e) => e instanceof UsageError && e.code === 'invalid-input');
  await assert.rejects(c.call(null), UsageError);
});

test('requests: refused calls, malformed answers and bad hashing input are typed', async () => {
  await assert.rejects(buildRequest({ storage: { op: 'versions', profile: { workspace: '1' }, node: '..' } }, { apiKey: 'k' }), (e) => e instanceof UsageError && e.code === 'build');
  await assert.rejects(buildRequest({ orgs: { op: 'list' } }), (e) => e instanceof UsageError && e.code === 'build');
  const garbage = { status: 200, headers: [], body: new TextEncoder().encode('<html>') };
  await assert.rejects(decodeResponse(garbage), (e) => e instanceof ApiError && e.kind === 'malformed_response');
  await assert.rejects(hash('sha3', new Uint8Array(1)), UsageError);
  await assert.rejects(hash('sha256', 'text'), UsageError);
});

test('upload: a stream source that yields non-bytes fails as a source error', async () => {
  const fetchStub = async (input, init) => {
    const req = new Request(input, init);
    if (/\/upload\/?$/.test(new URL(req.url).pathname)) {
      return Response.json({ result: true, response: { id: 's1' } });
    }
    await req.arrayBuffer();
    return Response.json({ result: true, response: { id: 's1', status: 'stored', new_file_id: 'n1' } });
  };
  const c = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: fetchStub });
  const src = new ReadableStream({
    start(ctl) {
      ctl.enqueue('not bytes');
      ctl.close();
    },
  });
  const err = await c.upload(src, { workspace: 'w', name: 'n' }).then(() => assert.fail('accepted'), (e) => e);
  assert.ok(err instanceof UploadError, String(err));
  assert.equal(err.kind, 'source');
  assert.ok(err.cause instanceof UsageError);
});

test('upload: an abort before the first byte rejects as aborted, with nothing to resume', async () => {
  const ctl = new AbortController();
  ctl.abort();
  const c = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: noFetch });
  const err = await c.upload(new Blob([new Uint8Array(10)]), { workspace: 'w', name: 'n', signal: ctl.signal }).then(() => assert.fail('accepted'), (e) => e);
  assert.ok(err instanceof UploadError && err.kind === 'aborted');
  assert.equal(err.resumeToken, undefined);
});

test('download: a stream never read and a result never awaited leave nothing unhandled', async () => {
  const c = createClient({
    baseUrl: 'http://fake.invalid/current/',
    apiKey: 'k',
    fetch: async () => Response.json({ result: false, error: { code: 1650, text: 'no' } }, { status: 401 }),
  });
  c.download('n1', { workspace: 'w' });
  const s = c.download('n1', { workspace: 'w' });
  await assert.rejects(s.getReader().read(), (e) => e instanceof DownloadError && e.apiError?.status === 401);
  const aborted = c.download('n1', { workspace: 'w' });
  await aborted.cancel('not needed');
  await assert.rejects(aborted.result, (e) => e instanceof DownloadError && e.kind === 'aborted');
  assert.ok(new DownloadError({ kind: 'other', message: 'x' }) instanceof FastioError);
});

test('download: an abort signal ends a hanging download with a typed error', async () => {
  // A server that never answers: only the abort can end the request.
  const hanging = (input, init) =>
    new Promise((_, reject) => {
      const signal = init?.signal ?? input.signal;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  const c = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: hanging });
  const ctl = new AbortController();
  const s = c.download('n1', { workspace: 'w', signal: ctl.signal });
  setTimeout(() => ctl.abort(new Error('user left')), 20);
  await assert.rejects(s.getReader().read(), (e) => e instanceof DownloadError && e.kind === 'aborted' && e.cause.message === 'user left');
});
