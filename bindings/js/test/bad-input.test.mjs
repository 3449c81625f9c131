// Bad input gets typed errors: never a crash, a hang, a leaked secret or an
// unhandled rejection.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ApiError,
  DownloadError,
  FastioError,
  GrantError,
  GrantKey,
  GrantKeyring,
  PolicyError,
  Sniffer,
  TransportError,
  UploadPolicy,
  UploadError,
  UsageError,
  WebhookError,
  WebhookVerifier,
  buildRequest,
  createClient,
  decodeResponse,
  hash,
  signWebhook,
  sniff,
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

test('verifyWebhook: a custom scheme with separate past and future tolerances', async () => {
  const scheme = {
    name: 'custom',
    signatureHeader: 'X-Hook-Signature',
    timestampHeader: 'X-Hook-Time',
    encoding: 'base64',
    prefix: 'v1=',
    algorithm: 'sha512',
    template: '{timestamp}.{body}',
  };
  const now = 1_800_000_000;
  const req = async (ts) => new Request('https://r.example/', { method: 'POST', headers: await signWebhook(scheme, SECRET, BODY, { timestamp: ts }), body: BODY });
  const opts = { scheme, secrets: SECRET, tolerance: { maxAgeS: 600, maxFutureS: 5 }, now };
  assert.equal((await verifyWebhook(await req(now - 600), opts)).timestamp, now - 600);
  assert.equal((await verifyWebhook(await req(now + 5), opts)).scheme, 'custom');
  await assert.rejects(verifyWebhook(await req(now - 601), opts), (e) => e instanceof WebhookError && e.kind === 'timestamp_too_old');
  await assert.rejects(verifyWebhook(await req(now + 6), opts), (e) => e instanceof WebhookError && e.kind === 'timestamp_in_future');
  // Inconsistent custom schemes are the core's to refuse, typed.
  for (const bad of [
    { ...scheme, template: '{timestamp}.{body}.{body}' },
    { ...scheme, template: '{id}.{body}' },
    { ...scheme, timestampHeader: undefined },
  ]) {
    const err = await verifyWebhook(await req(now), { ...opts, scheme: bad }).then(() => assert.fail('accepted'), (e) => e);
    assert.ok(err instanceof WebhookError, String(err));
    assert.equal(err.kind, 'invalid_scheme');
    noSecret(err);
  }
  // Malformed scheme objects never reach the component.
  for (const bad of [{ ...scheme, encoding: 'hex64' }, { ...scheme, algorithm: 'md5' }, { ...scheme, template: 7 }, { prefix: 'x' }]) {
    await assert.rejects(verifyWebhook(await req(now), { ...opts, scheme: bad }), (e) => e instanceof UsageError && e.code === 'bad-argument');
  }
  for (const tolerance of [{ maxAgeS: 10 }, { maxAgeS: -1, maxFutureS: 1 }, 'soon']) {
    await assert.rejects(verifyWebhook(await req(now), { ...opts, tolerance }), (e) => e instanceof UsageError);
  }
});

test('verifyWebhook: a body cap below the default refuses a larger body', async () => {
  const headers = await signWebhook('fastio', SECRET, BODY);
  const req = new Request('https://r.example/', { method: 'POST', headers, body: BODY });
  await assert.rejects(verifyWebhook(req, { ...OPTS, maxBodyBytes: 16 }), (e) => e instanceof WebhookError && e.kind === 'body_too_large');
});

// ---------------------------------------------------------------- policy

const GRANT_SECRET = 'a-grant-secret-that-must-not-leak';
const GRANT = { workspace: 'ws1', folder: 'root', maxSize: 1000, expires: 2_000, issued: 1_000, nonce: 'n-1' };

function noGrantSecret(e, token) {
  for (const text of [String(e), e.stack ?? '', JSON.stringify(e)]) {
    assert.ok(!text.includes(GRANT_SECRET), 'the grant secret appears in an error');
    if (token) assert.ok(!text.includes(token.split('.')[3]), 'the grant MAC appears in an error');
  }
}

test('grants: tampered, expired, not yet valid, wrong-key and malformed tokens are typed GrantErrors', async () => {
  const key = await GrantKey.create(GRANT_SECRET);
  const token = key.issue(GRANT);
  const ring = await GrantKeyring.create([GRANT_SECRET]);
  assert.deepEqual(ring.verify(token, 1_500), GRANT);
  const [prefix, kid, payload, mac] = token.split('.');
  const other = Buffer.from(JSON.stringify({ w: 'ws2', f: 'root', m: 1e12, e: 2_000, i: 1_000, n: 'n-1' })).toString('base64url');
  const flipped = mac.slice(0, -2) + (mac.at(-2) === 'A' ? 'B' : 'A') + mac.at(-1);
  const cases = [
    [[prefix, kid, other, mac].join('.'), 1_500, 'tampered'],
    [[prefix, kid, payload, flipped].join('.'), 1_500, 'tampered'],
    [token, 2_001, 'expired'],
    [token, 900, 'not_yet_valid'],
    [(await GrantKey.create('another-grant-secret')).issue(GRANT), 1_500, 'wrong_key'],
    ['', 1_500, 'malformed'],
    ['fg1.only.three', 1_500, 'malformed'],
    [`fg9.${kid}.${payload}.${mac}`, 1_500, 'malformed'],
    [token.slice(0, -10), 1_500, undefined],
  ];
  for (const [t, now, kind] of cases) {
    const err = (() => {
      try {
        ring.verify(t, now);
      } catch (e) {
        return e;
      }
      return assert.fail(`accepted ${kind}`);
    })();
    assert.ok(err instanceof GrantError, String(err));
    if (kind) assert.equal(err.kind, kind, t);
    else assert.ok(['tampered', 'malformed'].includes(err.kind), err.kind);
    noGrantSecret(err, token);
  }
  const expired = (() => { try { ring.verify(token, 2_001); } catch (e) { return e; } })();
  assert.deepEqual([expired.at, expired.now], [2_000, 2_001]);
  // Bad arguments never reach the component.
  for (const [t, now] of [[42, 1_500], [token, undefined], [token, -1], [token, 1.5]]) {
    assert.throws(() => ring.verify(t, now), (e) => e instanceof UsageError);
  }
  assert.throws(() => key.issue({ ...GRANT, maxSize: -1 }), (e) => e instanceof UsageError);
  assert.throws(() => key.issue({ ...GRANT, workspace: undefined }), (e) => e instanceof UsageError);
  // A grant too long for any keyring to read is refused when issued, typed.
  assert.throws(() => key.issue({ ...GRANT, nonce: 'n'.repeat(5_000) }), (e) => e instanceof GrantError && e.kind === 'malformed');
  // Empty secrets are the core's to refuse, typed.
  await assert.rejects(GrantKey.create(''), (e) => e instanceof GrantError && e.kind === 'empty_key');
  await assert.rejects(GrantKeyring.create([GRANT_SECRET, '']), (e) => e instanceof GrantError && e.kind === 'empty_key');
  await assert.rejects(GrantKeyring.create([GRANT_SECRET, 7]), (e) => e instanceof UsageError && !String(e).includes(GRANT_SECRET));
  ring.dispose();
  assert.throws(() => ring.verify(token, 1_500), (e) => e instanceof UsageError && e.code === 'disposed');
  key.dispose();
});

test('grants: the skew allowance for a grant issued ahead of the gateway clock', async () => {
  const key = await GrantKey.create(GRANT_SECRET);
  const token = key.issue({ ...GRANT, issued: 1_100 });
  const strict = await GrantKeyring.create(GRANT_SECRET, { maxSkewS: 0 });
  assert.throws(() => strict.verify(token, 1_099), (e) => e instanceof GrantError && e.kind === 'not_yet_valid' && e.at === 1_100);
  const lenient = await GrantKeyring.create(GRANT_SECRET, { maxSkewS: 200 });
  assert.equal(lenient.verify(token, 1_000).issued, 1_100);
  const dflt = await GrantKeyring.create(GRANT_SECRET);
  assert.equal(dflt.verify(token, 1_050).issued, 1_100);
  assert.throws(() => dflt.verify(token, 1_039), (e) => e instanceof GrantError && e.kind === 'not_yet_valid');
});

test('policy: a truncated sniff input asks for more, and a truncated body is a typed 400', async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const s = await Sniffer.create();
  assert.deepEqual(s.sniff(png.subarray(0, 3)), { status: 'need_more' });
  assert.deepEqual(s.sniff(png.subarray(0, 3), true), { status: 'unknown' });
  assert.deepEqual(s.sniff(new Uint8Array(0)), { status: 'need_more' });
  assert.deepEqual(s.sniff(png), { status: 'known', kind: 'png' });
  for (const bad of [undefined, 'PNG', [0x89, 0x50], new ArrayBuffer(4)]) {
    assert.throws(() => s.sniff(bad), (e) => e instanceof UsageError && e.code === 'bad-argument');
  }
  assert.throws(() => s.sniff(png, 'yes'), (e) => e instanceof UsageError);
  s.dispose();
  assert.throws(() => s.sniff(png), (e) => e instanceof UsageError && e.code === 'disposed');
  await assert.rejects(sniff('not bytes'), UsageError);

  const policy = await UploadPolicy.create({ maxSize: 100, allowed: ['png', 'PDF', 'jpg'] });
  assert.deepEqual(policy.allowed, ['png', 'pdf', 'jpeg']);
  const w = policy.watch(50);
  w.feed(png);
  assert.equal(w.kind, 'png');
  assert.throws(() => w.finish(), (e) => e instanceof PolicyError && e.kind === 'truncated' && e.status === 400 && e.declared === 50 && e.got === png.length);
  w.dispose();
  assert.throws(() => w.feed(png), (e) => e instanceof UsageError && e.code === 'disposed');
});

test('policy: size and type refusals carry their status and numbers', async () => {
  const policy = await UploadPolicy.create({ maxSize: 100, allowed: ['pdf'] });
  assert.throws(() => policy.checkSize(101), (e) => e instanceof PolicyError && e.kind === 'too_large' && e.status === 413 && e.size === 101 && e.max === 100);
  policy.checkSize(100);
  policy.checkSize(undefined);
  assert.throws(() => policy.watch(1_000), (e) => e instanceof PolicyError && e.kind === 'too_large');
  const w = policy.watch();
  assert.throws(() => w.feed(new TextEncoder().encode('GIF89a and more bytes')), (e) => e instanceof PolicyError && e.kind === 'type_not_allowed' && e.status === 415 && e.found === 'gif' && e.allowed.includes('pdf'));
  const big = policy.watch();
  big.feed(new TextEncoder().encode('%PDF-1.7\n'));
  assert.throws(() => big.feed(new Uint8Array(100)), (e) => e instanceof PolicyError && e.kind === 'too_large' && e.status === 413);
  policy.checkType('pdf');
  assert.throws(() => policy.checkType(undefined), (e) => e instanceof PolicyError && e.kind === 'type_not_allowed' && e.found === 'unknown');
  assert.throws(() => policy.checkType('zip'), (e) => e instanceof PolicyError && e.kind === 'type_not_allowed');
  assert.equal(policy.withMaxSize(40).maxSize, 40);
  assert.equal(policy.withMaxSize(4_000).maxSize, 100);
  // Bad options and arguments never reach the component.
  for (const o of [null, { maxSize: -1 }, { maxSize: 1.5 }, { allowed: 'pdf' }, { allowed: [''] }, { allowed: [7] }, { signatures: [{ offset: 0, magic: 'x', kind: 'k' }] }, { signatures: [{ offset: -1, magic: Uint8Array.of(1), kind: 'k' }] }]) {
    await assert.rejects(UploadPolicy.create(o), (e) => e instanceof UsageError, JSON.stringify(o));
  }
  assert.throws(() => policy.checkSize('100'), UsageError);
  assert.throws(() => policy.watch().feed('text'), UsageError);
});

test('policy: an added signature names a custom kind, and a guarded stream errors typed', async () => {
  const policy = await UploadPolicy.create({
    maxSize: 1_000,
    allowed: ['acme'],
    signatures: [{ offset: 2, magic: new TextEncoder().encode('ACME'), kind: 'acme' }],
  });
  const body = (text) => new Blob([text]).stream();
  const ok = await new Response(policy.guard(body('..ACME payload'), 14)).text();
  assert.equal(ok, '..ACME payload');
  await assert.rejects(new Response(policy.guard(body('%PDF-1.7 not acme'))).text(), (e) => e instanceof PolicyError && e.kind === 'type_not_allowed' && e.found === 'pdf');
  await assert.rejects(new Response(policy.guard(body('..ACME'), 50)).text(), (e) => e instanceof PolicyError && e.kind === 'truncated');
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
  // A server that never answers: only the abort can end the request. The
  // Request is held, as a real fetch holds it while in flight: undici stops
  // forwarding an abort to a collected Request's signal.
  const inFlight = [];
  const hanging = (input, init) =>
    new Promise((_, reject) => {
      inFlight.push(input);
      const signal = init?.signal ?? input.signal;
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  const c = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: hanging });
  const ctl = new AbortController();
  const s = c.download('n1', { workspace: 'w', signal: ctl.signal });
  setTimeout(() => ctl.abort(new Error('user left')), 20);
  await assert.rejects(s.getReader().read(), (e) => e instanceof DownloadError && e.kind === 'aborted' && e.cause.message === 'user left');
});

test('an unsupported Node is refused by name, with what is supported', async () => {
  const { checkNodeVersion, MIN_NODE_MAJOR } = await import('../dist/runtime.js');
  assert.equal(MIN_NODE_MAJOR, 20);
  for (const old of ['18.19.1', '16.0.0', 'garbage']) {
    assert.throws(() => checkNodeVersion(old), (e) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.code, 'unsupported-runtime');
      assert.match(e.message, /needs Node 20 or later .* this is Node /);
      return true;
    });
  }
  for (const ok of ['20.0.0', '22.11.0', undefined]) checkNodeVersion(ok);
});
