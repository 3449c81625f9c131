// Every conformance vector in tests/vectors, through the package's public API.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ApiError,
  Digest,
  DigestVerifier,
  HashError,
  UploadError,
  UsageError,
  WebhookError,
  WebhookVerifier,
  buildRequest,
  createClient,
  decodeResponse,
  hash,
  loadCore,
  signWebhook,
  verifyWebhook,
} from 'fastio-core';
import { b64, cases, inputBytes, parseBig, readVector } from './support/vectors.mjs';
import { FakeUploadServer, crc32c } from './support/fake-upload-server.mjs';

const ALGOS = ['md5', 'sha1', 'sha256', 'sha384', 'crc32c'];

function clientOptions(c) {
  const cfg = {
    base_url: 'https://api.fast.io/current/',
    credential: { kind: 'api_key', value: 'test-api-key' },
    user_agent: 'fastio-core-vectors/1',
    ...(c.config ?? {}),
  };
  const o = { baseUrl: cfg.base_url, userAgent: cfg.user_agent };
  if (cfg.chunk_params) o.chunkParams = cfg.chunk_params;
  const cred = cfg.credential;
  if (cred?.kind === 'jwt') o.jwt = cred.value;
  else if (cred?.kind === 'o_auth' || cred?.kind === 'oauth') o.oauthToken = cred.value;
  else if (cred) o.apiKey = cred.value;
  return o;
}

/** Byte buffers for the call's external parts, filled with `x` as the vectors say. */
function externals(call) {
  const out = [];
  JSON.stringify(call, (k, v) => {
    if (k === 'external') out.push(new Uint8Array(Number(v.len)).fill(0x78));
    return v;
  });
  return out;
}

function expectedBody(b) {
  if (b === null || b === undefined) return new Uint8Array(0);
  if (typeof b.text === 'string') return new TextEncoder().encode(b.text);
  return b64(b.b64);
}

test('requests: every call builds the exact request, or is refused before sending', async () => {
  const all = cases('requests');
  assert.ok(all.length > 50, `only ${all.length} request vectors`);
  for (const [file, c] of all) {
    const where = `${file}: ${c.name}`;
    if (c.expect === null) continue;
    if (c.expect.error) {
      await assert.rejects(
        buildRequest(c.call, { ...clientOptions(c), external: externals(c.call) }),
        (e) => e instanceof UsageError && typeof e.message === 'string',
        where,
      );
      continue;
    }
    const r = await buildRequest(c.call, { ...clientOptions(c), external: externals(c.call) });
    assert.equal(r.method, c.expect.method, where);
    assert.equal(r.url, c.expect.url, where);
    assert.deepEqual(r.headers, c.expect.headers, where);
    assert.deepEqual(r.body ?? new Uint8Array(0), expectedBody(c.expect.body), where);
  }
});

test('requests: the client builds the same request as a fetch Request', async () => {
  const [, c] = cases('requests').find(([, c]) => c.expect?.method === 'POST' && c.expect.body?.text);
  const client = createClient(clientOptions(c));
  const req = await client.request(c.call, externals(c.call));
  assert.ok(req instanceof Request);
  assert.equal(req.method, 'POST');
  assert.equal(req.url, c.expect.url);
  for (const [name, value] of c.expect.headers) assert.equal(req.headers.get(name), value);
  assert.equal(await req.text(), c.expect.body.text);
});

function responseOf(r) {
  const body = typeof r.body === 'string' ? new TextEncoder().encode(r.body) : b64(r.body_b64 ?? '');
  return { status: r.status, headers: r.headers ?? [], body };
}

function assertError(e, want, detailWant, where) {
  assert.ok(e instanceof ApiError, `${where}: ${e}`);
  assert.equal(e.kind, want.kind, where);
  if ('status' in want) assert.equal(e.status ?? null, want.status, where);
  if ('code' in want) assert.equal(e.code ?? null, want.code, where);
  if ('error_code' in want) assert.equal(e.errorCode ?? null, want.error_code, where);
  if (want.message !== null && want.message !== undefined) assert.ok(e.message.endsWith(want.message), where);
  const retry = want.retry;
  if (retry) {
    assert.equal(e.retry.kind, retry.kind, where);
    if (retry.kind === 'at') assert.equal(e.retry.unixS, Number(retry.unix_s), where);
    if (retry.kind === 'after') assert.equal(e.retry.seconds, Number(retry.seconds), where);
    assert.deepEqual(detailWant.retry, retry, where);
  }
  if (want.params) assert.deepEqual(detailWant.params, want.params, where);
}

test('responses: payloads unwrap and errors carry status, code and retry decision', async () => {
  let payloads = 0;
  let models = 0;
  for (const [file, c] of cases('responses')) {
    const where = `${file}: ${c.name}`;
    const opts = { idempotent: c.idempotent ?? true, maxBodyBytes: Number(c.max_body_bytes ?? 16 * 1024 * 1024) };
    const raw = responseOf(c.response);
    let got;
    let error;
    try {
      got = await decodeResponse(raw, opts);
    } catch (e) {
      error = e;
    }
    // The component returns the unwrapped payload; typed models are the
    // core's Rust types, so a model case is checked where the two agree:
    // a success decodes, and an envelope error is the same error.
    if (c.decode !== 'payload') {
      if (c.expect.ok) assert.equal(error, undefined, `${where}: ${error}`);
      else if (c.expect.error?.kind === 'api') assertError(error, c.expect.error, error.detail, where);
      models++;
      continue;
    }
    payloads++;
    if (c.expect.ok) {
      assert.equal(error, undefined, `${where}: ${error}`);
      if ('value' in c.expect.ok) assert.deepEqual(parseBig(JSON.stringify(got)), c.expect.ok.value, where);
    } else {
      assertError(error, c.expect.error, parseBig(JSON.stringify(error.detail)), where);
    }
  }
  assert.ok(payloads > 20 && models > 20, `${payloads} payload and ${models} model cases`);
});

test('responses: a Response object decodes the same as its parts', async () => {
  const [, c] = cases('responses').find(([, c]) => c.expect.error?.retry?.kind === 'at');
  const raw = responseOf(c.response);
  const res = new Response(raw.body, { status: raw.status, headers: raw.headers });
  await assert.rejects(decodeResponse(res), (e) => e instanceof ApiError && e.retry.kind === 'at');
});

test('upload digests: one-shot, in pieces, and through the verifier', async () => {
  const v = readVector('upload', 'digests.json');
  assert.ok(v.cases.length >= 10);
  for (const c of v.cases) {
    const data = inputBytes(c.input);
    assert.equal(data.length, Number(c.len), c.name);
    for (const algo of ALGOS) {
      const want = c.digests[algo];
      assert.equal(await hash(algo, data), want, `${c.name} ${algo}`);
      const d = await Digest.create(algo);
      for (let at = 0, step = 1; at < data.length; at += step, step = step * 3 + 1) {
        d.update(data.subarray(at, at + step));
      }
      assert.equal(d.hex(), want, `${c.name} ${algo} in pieces`);
      assert.equal(d.bytesProcessed, data.length);
      // The state survives a restart.
      const resumed = await Digest.fromState(d.state());
      assert.equal(resumed.hex(), want, `${c.name} ${algo} from state`);
      d.dispose();
      resumed.dispose();
      const ver = await DigestVerifier.create(want, algo);
      ver.update(data);
      assert.equal(ver.finish(), c.digests.sha256, `${c.name} ${algo} verifier`);
    }
  }
});

test('upload digests: a verifier refuses other bytes with a typed mismatch', async () => {
  const v = readVector('upload', 'digests.json');
  const c = v.cases.find((c) => c.name === 'abc');
  const ver = await DigestVerifier.create(c.digests.sha256, 'sha256');
  ver.update(new TextEncoder().encode('abd'));
  assert.throws(() => ver.finish(), (e) => e instanceof HashError && e.kind === 'mismatch' && e.expected === c.digests.sha256);
  assert.throws(() => ver.finish(), (e) => e instanceof UsageError && e.code === 'finished');
  const bad = await DigestVerifier.create('not-hex', 'sha256');
  assert.throws(() => bad.finish(), (e) => e instanceof HashError && e.kind === 'bad-digest');
});

test('crc32c files: chunk CRCs and whole-file CRC32C', async () => {
  const v = readVector('upload', 'crc32c_combine.json');
  assert.ok(v.files.length > 0);
  for (const f of v.files) {
    const data = inputBytes(f.input);
    for (const p of f.parts) {
      const part = data.subarray(Number(p.offset), Number(p.offset) + Number(p.len));
      assert.equal(await hash('crc32c', part), p.crc32c, `${f.name} @${p.offset}`);
    }
    assert.equal(await hash('crc32c', data), f.file_crc32c, f.name);
  }
});

test('crc32c combine: each combination is the CRC32C an upload sends for A then B', async (t) => {
  // The WIT does not export CRC combination; it is exercised where the core
  // uses it, in the `file_crc32c` of every chunked upload (the resume and
  // end-to-end tests, checked by the server). Cases with materialisable
  // inputs are checked here through the one-shot CRC.
  const v = readVector('upload', 'crc32c_combine.json');
  const known = { abc: '364b3fb7', def: '4248d48a', '123456789': 'e3069283' };
  let checked = 0;
  for (const c of v.combine) {
    if (c.name === 'abc_def') {
      assert.equal(await hash('crc32c', new TextEncoder().encode('abc')), c.crc1);
      assert.equal(await hash('crc32c', new TextEncoder().encode('def')), c.crc2);
      assert.equal(await hash('crc32c', new TextEncoder().encode('abcdef')), c.combined);
      checked++;
    }
    if (c.name === 'check_split') {
      assert.equal(await hash('crc32c', new TextEncoder().encode('123456789')), c.combined);
      assert.equal(c.combined, known['123456789']);
      checked++;
    }
  }
  assert.equal(checked, 2);
  t.diagnostic(`${v.combine.length - checked} combine cases need a combine export the WIT does not have`);
});

// A session keeps one entry per chunk; a plan of trillions of chunks makes
// the component trap (a capacity overflow in the core's chunk table), which
// would end every later test in this process. It runs in its own process below.
function tooManyChunksForOneSession(c) {
  return c.expect.plan?.kind === 'chunked' && BigInt(c.expect.plan.chunk_count) > 1_000_000n;
}

/** Drives a fresh session to its first request and answers it, then reads the plan from the token. */
async function planThroughSession(c) {
  const base = 'http://fake.invalid/current/';
  const server = new FakeUploadServer(base);
  const core = await loadCore();
  const cfg = { baseUrl: base, credential: { tag: 'api-key', val: 'k' }, chunkParams: 'query' };
  const spec = { name: 'f.bin', size: BigInt(c.size), workspace: 'ws1', folder: 'root' };
  const opts = { chunkSize: BigInt(c.config.chunk_size), parallel: c.config.max_in_flight };
  let s;
  try {
    s = core.uploads.UploadSession.create(cfg, spec, opts);
  } catch (e) {
    return { error: e.payload };
  }
  const first = s.nextAction(0n);
  if (first.tag === 'read') return { single: first.val };
  assert.equal(first.tag, 'send');
  const res = await server.fetch(first.val.request.url, { method: 'POST' });
  s.onResponse(first.val.id, { status: res.status, headers: [], body: new Uint8Array(await res.arrayBuffer()) }, 0n);
  return { token: parseBig(s.snapshot()) };
}

test('upload plans: each expressible plan is what a session plans', async (t) => {
  const v = readVector('upload', 'plans.json');
  let checked = 0;
  for (const c of v.plans) {
    const cfg = c.config;
    // The WIT's upload options set the chunk size and in-flight limit; the
    // single-request maximum and the file and chunk limits keep the core's
    // defaults (4 MiB, none).
    if (Number(cfg.single_request_max) !== 4194304 || cfg.max_chunks !== null || cfg.max_file_size !== null) continue;
    if (tooManyChunksForOneSession(c)) continue;
    const got = await planThroughSession(c);
    const want = c.expect;
    if (want.error) {
      assert.ok(got.error, `${c.name}: planned ${JSON.stringify(got)}`);
      assert.equal(got.error.tag, 'other', c.name);
      assert.match(got.error.val, /invalid upload configuration/, c.name);
    } else if (want.plan.kind === 'single') {
      assert.deepEqual([got.single?.offset, got.single?.len], [0n, BigInt(c.size)], c.name);
    } else {
      assert.deepEqual(got.token?.plan, want.plan, c.name);
    }
    checked++;
  }
  assert.ok(checked >= 10, `only ${checked} plans checked`);
  t.diagnostic(`${checked} of ${v.plans.length} plans checked; ${v.streams.length} stream plans and ${v.limits.length} limit readings need planner exports the WIT does not have`);
});

test('upload plans: a plan of 2^42 chunks is refused, not a trap', { todo: 'the core panics (capacity overflow) creating a session this large' }, async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { loadCore } from 'fastio-core';
    const core = await loadCore();
    const cfg = { baseUrl: 'http://fake.invalid/current/', chunkParams: 'query', credential: { tag: 'api-key', val: 'k' } };
    const s = core.uploads.UploadSession.create(cfg, { name: 'f', size: 18446744073709551615n, workspace: 'w', folder: 'root' }, {});
    s.nextAction(0n);
    s.onResponse(1n, { status: 200, headers: [], body: new TextEncoder().encode('{"result":true,"response":{"id":"u"}}') }, 0n);
    console.log(JSON.parse(s.snapshot()).plan.chunk_count);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.split('\n')[1]);
  assert.equal(r.stdout.trim(), '4398046511104');
});

test('resume token: resuming sends only the chunks the server lacks, and the digests match', async () => {
  const v = readVector('upload', 'resume_token.json');
  const data = inputBytes(v.input);
  const base = 'http://fake.invalid/current/';
  const server = new FakeUploadServer(base);
  // The server holds chunk 1, as the token says.
  const first = v.token.acked[0];
  const size = Number(v.token.plan.chunk_size);
  server.addSession(v.token.upload_id, {});
  server.sessions.get(v.token.upload_id).chunks.set(Number(first.order), data.subarray(0, size));
  assert.equal(crc32c(data.subarray(0, size)), first.crc32c);
  const client = createClient({ baseUrl: base, apiKey: 'k', fetch: server.fetch });
  const done = await client.resume(JSON.stringify(v.token), new Blob([data]));
  assert.deepEqual(server.chunkPosts, v.expect.resend.map(Number));
  assert.equal(done.sha256, v.expect.sha256);
  assert.equal(done.crc32c, v.expect.crc32c);
  assert.equal(done.size, data.length);
  assert.deepEqual(server.sessions.get(v.token.upload_id).stored, Buffer.from(data));
});

test('resume token: a damaged token is refused with a typed error', async () => {
  const client = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: () => assert.fail('no request') });
  await assert.rejects(client.resume('{"version": 99}', new Blob([new Uint8Array(3)])), (e) => e instanceof UploadError && e.kind === 'other');
  await assert.rejects(client.resume('not json', new Blob([new Uint8Array(3)])), UploadError);
});

// ---------------------------------------------------------------- webhooks

function webhookOptions(c) {
  const tc = c.timestamp_check;
  return { scheme: c.scheme.name, secrets: c.secrets, tolerance: tc === 'skip' ? false : Number(tc.max_age_s) };
}

function expressible(c) {
  const tc = c.timestamp_check;
  if (tc !== 'skip' && tc.max_age_s !== tc.max_future_s) return false;
  return Object.keys(c.scheme).length === 1 && c.scheme.name !== 'custom' && !('max_body_bytes' in c);
}

function bodyOf(c) {
  return typeof c.body === 'string' ? new TextEncoder().encode(c.body) : b64(c.body_b64);
}

/** Whether `Headers` carries these headers unchanged (it trims values and joins duplicates). */
function headersSurvive(headers) {
  try {
    const h = new Headers(headers);
    return headers.every(([n, v]) => h.get(n) === v);
  } catch {
    return false;
  }
}

function checkOutcome(where, c, run) {
  if (c.expect.ok) {
    const d = run();
    const ok = c.expect.ok;
    assert.deepEqual(
      { scheme: d.scheme, id: d.id ?? null, timestamp: d.timestamp ?? null, secret_index: d.secretIndex },
      { scheme: ok.scheme, id: ok.id, timestamp: ok.timestamp === null ? null : Number(ok.timestamp), secret_index: ok.secret_index },
      where,
    );
    return d;
  }
  assert.throws(run, (e) => {
    assert.ok(e instanceof WebhookError, `${where}: ${e}`);
    // Setup errors may surface when the verifier is built or when it verifies.
    assert.equal(e.kind, c.expect.error, where);
    if ('hint' in c.expect) assert.equal(e.hint ?? null, c.expect.hint, where);
    for (const s of c.secrets) if (s.length >= 8) assert.ok(!e.message.includes(s), `${where}: secret in message`);
    return true;
  }, where);
}

test('webhooks: every expressible case verifies as expected, from a Request and from raw parts', async (t) => {
  const core = await loadCore();
  let checked = 0;
  let viaRequest = 0;
  let skipped = 0;
  for (const [file, c] of cases('webhooks')) {
    const where = `${file}: ${c.name}`;
    if (!expressible(c)) {
      skipped++;
      continue;
    }
    const opts = webhookOptions(c);
    const body = bodyOf(c);
    const raw = () => {
      const v = WebhookVerifier.createWith(core, opts);
      try {
        return v.verifyRaw(c.headers, body, { now: Number(c.now) });
      } finally {
        v.dispose();
      }
    };
    const d = checkOutcome(where, c, raw);
    if (d) assert.deepEqual(d.body, body, where);
    if (headersSurvive(c.headers)) {
      const req = new Request('https://receiver.example/hook', { method: 'POST', headers: c.headers, body });
      let outcome;
      try {
        outcome = { ok: await verifyWebhook(req, { ...opts, now: Number(c.now) }) };
      } catch (e) {
        outcome = { error: e };
      }
      checkOutcome(`${where} (Request)`, c, () => {
        if (outcome.error) throw outcome.error;
        return outcome.ok;
      });
      viaRequest++;
    }
    checked++;
  }
  assert.ok(checked > 90, `only ${checked} webhook cases checked`);
  assert.ok(viaRequest > 90, `only ${viaRequest} through a Request`);
  t.diagnostic(`${checked} checked (${viaRequest} also as Requests); ${skipped} need scheme configuration, asymmetric tolerance or a body limit the WIT does not expose`);
});

test('webhooks: signing reproduces the vectors’ headers exactly', async () => {
  let signed = 0;
  for (const [file, c] of cases('webhooks')) {
    if (!c.sign || Object.keys(c.scheme).length !== 1 || c.scheme.name === 'custom') continue;
    const secret = c.sign.secret ?? c.secrets[c.sign.secret_index];
    const got = await signWebhook(c.scheme.name, secret, bodyOf(c), {
      id: c.sign.id ?? undefined,
      timestamp: c.sign.timestamp === null ? undefined : Number(c.sign.timestamp),
    });
    const norm = (hs) => hs.map(([n, v]) => [n.toLowerCase(), v]).sort();
    assert.deepEqual(norm(got), norm(c.headers), `${file}: ${c.name}`);
    signed++;
  }
  assert.ok(signed > 20, `only ${signed} signing cases`);
});

test('policy vectors: run when the component exports a policy interface', async (t) => {
  const core = await loadCore();
  if (!('policy' in core)) {
    t.skip('the component does not export fastio:core/policy (tests/vectors/policy waits for it)');
    return;
  }
  // Shown in the run's todo count until the policy wrapper and its runner exist.
  t.todo('the component exports fastio:core/policy: the policy vectors need their runner here');
});
