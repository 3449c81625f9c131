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
  GrantError,
  GrantKey,
  GrantKeyring,
  Sniffer,
  UploadPolicy,
  PlanError,
  applyLimits,
  buildRequest,
  defaultPlanConfig,
  planUpload,
  createClient,
  decodeResponse,
  DEFAULT_BASE_URL,
  isIdempotent,
  isResendable,
  hash,
  loadCore,
  signWebhook,
  sniff,
  snakeKind,
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
    const opts = { resendable: c.resendable ?? true, maxBodyBytes: Number(c.max_body_bytes ?? 16 * 1024 * 1024) };
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
  assert.throws(() => bad.finish(), (e) => e instanceof HashError && e.kind === 'bad_digest');
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

// The WIT exports no CRC combination of its own; the core combines chunk
// CRCs into the whole-file CRC32C an upload reports. A resume token whose
// two chunks the server already holds makes the session finish from the
// token's CRCs alone, without reading a byte: its `crc32c` is
// combine(crc1, crc2, len2). Part A is a whole chunk, whose length the
// combination does not depend on, and B (the last chunk) is `len2` bytes.

/** A source of `size` bytes that must never be read: every chunk is already acknowledged. */
class UnreadBlob extends Blob {
  #size;
  constructor(size) {
    super([]);
    this.#size = size;
  }
  get size() {
    return this.#size;
  }
  slice() {
    assert.fail('a chunk the server already holds was read again');
  }
}

/** The upload endpoints for a session that already holds chunks of these lengths. */
function heldChunksServer(id, lens) {
  const ok = (v) => new Response(JSON.stringify({ result: true, response: v }), { headers: { 'content-type': 'application/json' } });
  const seen = [];
  const fetch = async (input, init) => {
    const req = new Request(input, init);
    const path = new URL(req.url).pathname.replace(/\/$/, '');
    seen.push(`${req.method} ${path}`);
    if (req.method === 'GET' && path.endsWith(`/upload/${id}/chunk`)) {
      return ok({ chunks: Object.fromEntries(lens.map((n, i) => [String(i + 1), n])) });
    }
    if (req.method === 'POST' && path.endsWith(`/upload/${id}/complete`)) return ok({});
    if (req.method === 'GET' && path.endsWith(`/upload/${id}/details`)) {
      return ok({ session: { id, status: 'stored', new_file_id: `node-${id}` } });
    }
    return new Response(JSON.stringify({ result: false, error: { code: 9992, text: 'route not found' } }), { status: 404 });
  };
  return { fetch, seen };
}

test('crc32c combine: every case is the CRC32C a resumed upload reports for A then B', async () => {
  const v = readVector('upload', 'crc32c_combine.json');
  assert.ok(v.combine.length >= 10);
  // A two-chunk token needs a chunk as long as B, and no plan's chunks pass
  // the core's 64 MiB ceiling: longer Bs go through the exported combine.
  const core = await loadCore();
  const CHUNK_SIZE_CEILING = 64n << 20n;
  let resumed = 0;
  for (const c of v.combine) {
    const len2 = BigInt(c.len2);
    if (len2 > CHUNK_SIZE_CEILING) {
      const got = core.hashing.crc32cCombine(parseInt(c.crc1, 16), parseInt(c.crc2, 16), len2);
      assert.equal(got.toString(16).padStart(8, '0'), c.combined, `${c.name}: crc32c-combine`);
      continue;
    }
    resumed += 1;
    // B empty: the file is A alone, one chunk; otherwise A is a chunk of
    // len2 bytes (at least the 4096 the hasher state covers) and B the last.
    const chunk = len2 === 0n ? 4096n : len2 < 4096n ? 4096n : len2;
    const parts = len2 === 0n ? [[chunk, c.crc1]] : [[chunk, c.crc1], [len2, c.crc2]];
    const size = parts.reduce((n, [len]) => n + len, 0n);
    assert.ok(size <= BigInt(Number.MAX_SAFE_INTEGER), c.name);
    const token = {
      version: 1,
      upload_id: 'up1',
      name: 'combine.bin',
      size: Number(size),
      target: { workspace: 'ws1' },
      folder_id: 'root',
      add_to: null,
      plan: { kind: 'chunked', size: Number(size), chunk_size: Number(chunk), chunk_count: parts.length, max_in_flight: 1 },
      chunk_algo: null,
      acked: parts.map(([, crc], i) => ({ order: i + 1, crc32c: crc, digest: null })),
      read_crcs: parts.map(([, crc], i) => [i + 1, crc]),
    };
    const server = heldChunksServer('up1', parts.map(([len]) => Number(len)));
    const client = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: server.fetch });
    const done = await client.resume(JSON.stringify(token), new UnreadBlob(Number(size)));
    const want = len2 === 0n ? c.crc1 : c.combined;
    assert.equal(done.crc32c, want, `${c.name}: combine(${c.crc1}, ${c.crc2}, ${c.len2})`);
    assert.equal(c.combined, want, `${c.name}: B empty leaves A's CRC`);
    assert.equal(done.size, Number(size), c.name);
    assert.ok(!server.seen.some((r) => r.startsWith('POST') && r.endsWith('/chunk')), `${c.name}: no chunk sent`);
  }
  assert.ok(resumed >= 8, `${resumed} cases went through a resumed upload`);
});

// The planner is exported on its own (`plan-upload`, `apply-limits`) and
// shows through a session: a single-request plan's first action reads the
// whole file, a chunked plan is in the resume token after the session is
// created, and a refusal is what `client.upload` (or the component's
// `create`) fails with. Both ways must give the vector's answer.

/** A vector's PlanConfig (snake_case, numbers or big-number strings) as the WIT's plan-config. */
function witPlanConfig(cfg) {
  const opt = (v) => (v === null ? undefined : BigInt(v));
  return {
    singleRequestMax: BigInt(cfg.single_request_max),
    chunkSize: BigInt(cfg.chunk_size),
    maxChunks: opt(cfg.max_chunks),
    maxFileSize: opt(cfg.max_file_size),
    maxInFlight: Number(cfg.max_in_flight),
  };
}

/** A WIT plan-config in the vector's shape, every number a bigint. */
function planConfigJson(c) {
  const opt = (v) => (v === undefined ? null : v);
  return {
    single_request_max: c.singleRequestMax,
    chunk_size: c.chunkSize,
    max_chunks: opt(c.maxChunks),
    max_file_size: opt(c.maxFileSize),
    max_in_flight: BigInt(c.maxInFlight),
  };
}

/** A WIT upload-plan in the shape the core serialises it, every number a bigint. */
function planJson(p) {
  switch (p.tag) {
    case 'single':
      return { kind: 'single', size: p.val };
    case 'chunked':
      return {
        kind: 'chunked',
        size: p.val.size,
        chunk_size: p.val.chunkSize,
        chunk_count: p.val.chunkCount,
        max_in_flight: BigInt(p.val.maxInFlight),
      };
    case 'stream':
      return { kind: 'stream', max_size: p.val === undefined ? null : p.val };
    default:
      throw new Error(`unknown plan ${p.tag}`);
  }
}

/** A WIT plan-error in the vector's shape (`error` plus its numbers). */
function planErrorJson(e) {
  switch (e.tag) {
    case 'too-large':
      return { error: 'too_large', size: e.val.size, max: e.val.max };
    case 'too-many-chunks':
      return { error: 'too_many_chunks', size: e.val.size, chunk_size: e.val.chunkSize, chunks: e.val.chunks, max: e.val.max };
    case 'invalid-config':
      // The vectors name the refusal only; its description is the core's.
      assert.match(e.val, /must be at least 1|ceiling|single-request limit/);
      return { error: 'invalid_config' };
    default:
      throw new Error(`unknown plan error ${e.tag}`);
  }
}

/** Every number (and big-number string) of a vector's flat object as a bigint; strings stay. */
function bigFields(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = v === null || k === 'kind' || k === 'error' ? v : BigInt(v);
  }
  return out;
}

/** The vector's expectation in the exported planner's shape: the plan, or the error. */
function wantPlan(expect) {
  return expect.plan ? { plan: bigFields(expect.plan) } : { error: bigFields(expect) };
}

/** Plans through the exported `plan-upload`. */
async function planThroughExport(size, streamMaxSize, cfg) {
  const core = await loadCore();
  const big = (v) => (v === null ? undefined : BigInt(v));
  try {
    return { plan: planJson(core.uploads.planUpload(big(size), big(streamMaxSize), witPlanConfig(cfg))) };
  } catch (e) {
    // jco throws a result's error as a ComponentError with the WIT value as payload.
    assert.ok(e && 'payload' in e, `expected a plan-error, got ${e}`);
    return { error: planErrorJson(e.payload) };
  }
}

/** A wrapper's PlanRefusal in the vector's shape (numbers as bigints). */
function refusalJson(r) {
  switch (r.kind) {
    case 'too_large':
      return { error: 'too_large', size: BigInt(r.size), max: BigInt(r.max) };
    case 'too_many_chunks':
      return { error: 'too_many_chunks', size: BigInt(r.size), chunk_size: BigInt(r.chunkSize), chunks: BigInt(r.chunks), max: BigInt(r.max) };
    case 'invalid_config':
      assert.match(r.reason, /must be at least 1|ceiling|single-request limit/);
      return { error: 'invalid_config' };
    default:
      throw new Error(`unknown refusal ${r.kind}`);
  }
}

/** A session's refusal in the vector's shape, whether the wrapper or the component reported it: always a typed `plan` error. */
function refusal(e) {
  if (e instanceof UploadError) {
    assert.equal(e.kind, 'plan', e.message);
    assert.equal(e.resumeToken, undefined);
    return refusalJson(e.plan);
  }
  assert.ok(e && 'payload' in e, `expected an upload-error, got ${e}`);
  assert.equal(e.payload.tag, 'plan');
  return planErrorJson(e.payload.val);
}

/** A vector's PlanConfig as the package's PlanConfig (numbers), or undefined past 2^53. */
function packagePlanConfig(cfg) {
  const n = (v) => (v === null ? undefined : Number(v));
  const out = {
    singleRequestMax: Number(cfg.single_request_max),
    chunkSize: Number(cfg.chunk_size),
    maxChunks: n(cfg.max_chunks),
    maxFileSize: n(cfg.max_file_size),
    maxInFlight: Number(cfg.max_in_flight),
  };
  const exact = [cfg.single_request_max, cfg.chunk_size, cfg.max_chunks, cfg.max_file_size].every(
    (v) => v === null || BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER),
  );
  return exact ? out : undefined;
}

/** Plans through the package's own `planUpload`, in the vector's shape; undefined when a number is past 2^53. */
async function planThroughPackage(size, streamMaxSize, cfg) {
  const config = packagePlanConfig(cfg);
  const safe = (v) => v === null || BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER);
  if (!config || !safe(size) || !safe(streamMaxSize)) return undefined;
  const n = (v) => (v === null ? undefined : Number(v));
  try {
    const p = await planUpload(n(size), { streamMaxSize: n(streamMaxSize), config });
    switch (p.kind) {
      case 'single':
        return { plan: { kind: 'single', size: BigInt(p.size) } };
      case 'chunked':
        return { plan: { kind: 'chunked', size: BigInt(p.size), chunk_size: BigInt(p.chunkSize), chunk_count: BigInt(p.chunkCount), max_in_flight: BigInt(p.maxInFlight) } };
      default:
        return { plan: { kind: 'stream', max_size: p.maxSize === undefined ? null : BigInt(p.maxSize) } };
    }
  } catch (e) {
    assert.ok(e instanceof PlanError, `expected a PlanError, got ${e}`);
    assert.equal(e.kind, e.refusal.kind);
    return { error: refusalJson(e.refusal) };
  }
}

/**
 * Plans through the package: a refusal is what `client.upload` rejects with
 * (before any request or read); a plan is read from a fresh session, whose
 * first action reads the file (single request) or whose resume token holds
 * the chunked plan once the server answered the create request.
 */
async function planThroughSession(c) {
  const base = 'http://fake.invalid/current/';
  const opts = {
    chunkSize: Number(c.config.chunk_size),
    singleRequestMax: Number(c.config.single_request_max),
    parallel: c.config.max_in_flight,
    maxChunks: c.config.max_chunks === null ? undefined : Number(c.config.max_chunks),
    maxFileSize: c.config.max_file_size === null ? undefined : Number(c.config.max_file_size),
  };
  // Sizes past 2^53 bytes are not a Blob's; u64::MAX goes to the session below.
  if (BigInt(c.size) <= BigInt(Number.MAX_SAFE_INTEGER)) {
    const client = createClient({ baseUrl: base, apiKey: 'k', fetch: new FakeUploadServer(base).fetch });
    const refused = await client
      .upload(new UnreadBlob(Number(c.size)), { name: 'f.bin', workspace: 'ws1', ...opts, signal: AbortSignal.abort() })
      .then(() => undefined, (e) => e);
    // An abort before the first action is the only way a plannable upload ends here.
    if (!(refused instanceof UploadError && refused.kind === 'aborted')) return { error: refused };
  }
  const server = new FakeUploadServer(base);
  const core = await loadCore();
  const cfg = { baseUrl: base, credential: { tag: 'api-key', val: 'k' }, chunkParams: 'query' };
  const spec = { name: 'f.bin', size: BigInt(c.size), workspace: 'ws1', folder: 'root' };
  const { maxChunks, maxFileSize } = witPlanConfig(c.config);
  let s;
  try {
    s = core.uploads.UploadSession.create(cfg, spec, {
      chunkSize: BigInt(opts.chunkSize),
      singleRequestMax: BigInt(opts.singleRequestMax),
      parallel: opts.parallel,
      maxChunks,
      maxFileSize,
    });
  } catch (e) {
    return { error: e };
  }
  const first = s.nextAction(0n);
  if (first.tag === 'read') return { single: first.val };
  assert.equal(first.tag, 'send');
  const res = await server.fetch(first.val.request.url, { method: 'POST' });
  s.onResponse(first.val.id, { status: res.status, headers: [], body: new Uint8Array(await res.arrayBuffer()) }, 0n);
  return { token: parseBig(s.snapshot()) };
}

test('upload plans: every plan vector through plan-upload and through a session', async (t) => {
  const v = readVector('upload', 'plans.json');
  assert.ok(v.plans.length >= 22, `only ${v.plans.length} plan vectors`);
  let packagePlans = 0;
  for (const c of v.plans) await t.test(`plan ${c.name}`, async () => {
    const want = c.expect;
    assert.deepEqual(await planThroughExport(c.size, null, c.config), wantPlan(want), `${c.name}: plan-upload`);
    const pkg = await planThroughPackage(c.size, null, c.config);
    if (pkg !== undefined) {
      packagePlans++;
      assert.deepEqual(pkg, wantPlan(want), `${c.name}: planUpload`);
    }
    const got = await planThroughSession(c);
    if (want.error) {
      assert.ok(got.error, `${c.name}: a session planned ${JSON.stringify(got, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`);
      assert.deepEqual(refusal(got.error), wantPlan(want).error, c.name);
    } else if (want.plan.kind === 'single') {
      assert.deepEqual([got.single?.offset, got.single?.len], [0n, BigInt(c.size)], c.name);
    } else {
      assert.deepEqual(bigFields(got.token?.plan ?? {}), bigFields(want.plan), c.name);
    }
  });
  assert.ok(packagePlans >= 18, `only ${packagePlans} plans through planUpload`);
});

/** The form fields of a stream session's create request, or its refusal. */
async function streamCreate(maxSize, maxFileSize) {
  const core = await loadCore();
  const cfg = { baseUrl: 'http://fake.invalid/current/', credential: { tag: 'api-key', val: 'k' }, chunkParams: 'query' };
  let s;
  try {
    s = core.uploads.UploadSession.create(cfg, { name: 's.bin', size: undefined, workspace: 'ws1', folder: 'root' }, {
      streamMaxSize: maxSize === null ? undefined : BigInt(maxSize),
      maxFileSize: maxFileSize === null ? undefined : BigInt(maxFileSize),
    });
  } catch (e) {
    return { error: e };
  }
  const first = s.nextAction(0n);
  assert.equal(first.tag, 'send');
  // The create request is a form with only in-line parts.
  const r = first.val.request;
  const body = Buffer.concat(r.body.map((seg) => (assert.equal(seg.tag, 'bytes'), seg.val)));
  return { form: new URLSearchParams(body.toString('utf8')) };
}

test('upload plans: every stream plan vector through plan-upload and through a session', async (t) => {
  const v = readVector('upload', 'plans.json');
  assert.ok(v.streams.length >= 4, `only ${v.streams.length} stream vectors`);
  let packageStreams = 0;
  for (const c of v.streams) await t.test(`stream plan ${c.name}`, async () => {
    const want = c.expect;
    assert.deepEqual(await planThroughExport(null, c.max_size, c.config), wantPlan(want), `${c.name}: plan-upload`);
    const pkg = await planThroughPackage(null, c.max_size, c.config);
    if (pkg !== undefined) {
      packageStreams++;
      assert.deepEqual(pkg, wantPlan(want), `${c.name}: planUpload`);
    }
    // Through a session, a stream plan shows in the create request: a
    // stream session, with its maximum when it has one.
    const got = await streamCreate(c.max_size, c.config.max_file_size);
    if (want.error) {
      assert.ok(got.error, `${c.name}: a session opened`);
      assert.deepEqual(refusal(got.error), wantPlan(want).error, c.name);
      return;
    }
    assert.equal(want.plan.kind, 'stream', c.name);
    assert.ok(got.form, `${c.name}: refused with ${got.error}`);
    assert.equal(got.form.get('stream'), 'true', c.name);
    assert.equal(got.form.get('max_size'), want.plan.max_size === null ? null : String(want.plan.max_size), c.name);
    assert.equal(got.form.get('size'), null, c.name);
  });
  assert.ok(packageStreams >= 4, `only ${packageStreams} stream plans through planUpload`);
});

test('upload plans: every server limits vector through apply-limits', async (t) => {
  const core = await loadCore();
  const v = readVector('upload', 'plans.json');
  assert.ok(v.limits.length >= 17, `only ${v.limits.length} limits vectors`);
  let packageLimits = 0;
  for (const c of v.limits) await t.test(`limits ${c.name}`, async () => {
    // The answer goes in as the body text. JSON.parse keeps no difference
    // between 4194304.0 and 4194304, so `whole_float` reaches the reader as
    // an integer here; the wasmtime host's vector test sends the float.
    const got = core.uploads.applyLimits(JSON.stringify(c.limits), witPlanConfig(c.fallback));
    assert.deepEqual(planConfigJson(got), bigFields(c.expect), c.name);
    // The package's own applyLimits, from the body text and from parsed JSON.
    const fallback = packagePlanConfig(c.fallback);
    const want = packagePlanConfig(c.expect);
    if (fallback && want) {
      packageLimits++;
      for (const limits of [JSON.stringify(c.limits), c.limits]) {
        assert.deepEqual(await applyLimits(limits, fallback), want, `${c.name}: applyLimits`);
      }
    }
  });
  assert.ok(packageLimits >= 15, `only ${packageLimits} limits through applyLimits`);
  // A body that is not JSON states no limits.
  const cfg = witPlanConfig(v.limits[0].fallback);
  assert.deepEqual(planConfigJson(core.uploads.applyLimits('<html>busy</html>', cfg)), planConfigJson(cfg));
});

test('upload plans: the package starts from the core defaults and refuses bad numbers as usage errors', async () => {
  const d = await defaultPlanConfig();
  // The defaults are the core's: 4 MiB chunks, as an upload with no options uses.
  assert.equal(d.chunkSize, 4194304);
  assert.ok(d.maxInFlight >= 1 && d.singleRequestMax >= 1, JSON.stringify(d));
  assert.deepEqual(await planUpload(0), { kind: 'single', size: 0 });
  assert.deepEqual(await planUpload(3 * 4194304 + 1, { config: { singleRequestMax: 1 } }), {
    kind: 'chunked', size: 3 * 4194304 + 1, chunkSize: 4194304, chunkCount: 4, maxInFlight: d.maxInFlight,
  });
  assert.deepEqual(await planUpload(undefined, { streamMaxSize: 10 }), { kind: 'stream', maxSize: 10 });
  await assert.rejects(planUpload(11, { config: { maxFileSize: 10 } }), (e) => e instanceof PlanError && e.kind === 'too_large' && e.refusal.size === 11);
  await assert.rejects(planUpload(100, { config: { chunkSize: 0, singleRequestMax: 1 } }), (e) => e instanceof PlanError && e.kind === 'invalid_config');
  await assert.rejects(planUpload(-1), (e) => e instanceof UsageError && e.code === 'bad-argument');
  await assert.rejects(planUpload(1, { config: { parallel: 3 } }), (e) => e instanceof UsageError && /parallel is not a plan setting/.test(e.message));
  await assert.rejects(applyLimits({ chunk_size: 1n }), (e) => e instanceof UsageError && e.code === 'bad-argument');
  await assert.rejects(planUpload(1.5), (e) => e instanceof UsageError);
  await assert.rejects(planUpload(1, { config: { maxInFlight: 2 ** 40 } }), (e) => e instanceof UsageError);
  // A limits answer that is not JSON sets nothing.
  assert.deepEqual(await applyLimits('<html>busy</html>'), d);
  assert.deepEqual(await applyLimits({ response: { chunk_size: 1048576 } }), { ...d, chunkSize: 1048576 });
});

test('defaults: the package’s synchronous constants are the core’s defaults', async () => {
  const core = await loadCore();
  const d = core.requests.defaults();
  assert.equal(DEFAULT_BASE_URL, d.baseUrl);
  // A client given no base URL sends to the core's.
  assert.equal(createClient({ apiKey: 'k' }).baseUrl, d.baseUrl);
  const req = await createClient({ apiKey: 'k' }).buildRequest({ orgs: { op: 'list' } });
  assert.ok(req.url.startsWith(d.baseUrl), req.url);
  // An upload with no options plans with the core's chunk size and parallelism.
  const plan = await defaultPlanConfig();
  assert.equal(plan.chunkSize, Number(d.chunkSize));
  assert.equal(plan.maxInFlight, d.parallel);
  assert.equal(plan.singleRequestMax, Number(d.singleRequestMax));
  // The former name of isResendable still answers.
  assert.equal(isIdempotent, isResendable);
  assert.equal(await isResendable({ orgs: { op: 'list' } }), core.requests.isResendable('{"orgs":{"op":"list"}}'));
});

test('upload plans: an upload of u64::MAX bytes is a typed too-many-chunks error, not a trap', async () => {
  const core = await loadCore();
  const cfg = { baseUrl: 'http://fake.invalid/current/', chunkParams: 'query', credential: { tag: 'api-key', val: 'k' } };
  const spec = { name: 'f', size: 0xffff_ffff_ffff_ffffn, workspace: 'w', folder: 'root' };
  let error;
  try {
    core.uploads.UploadSession.create(cfg, spec, {});
  } catch (e) {
    error = e;
  }
  // A trap would be a RuntimeError without a payload, and would leave the
  // instance unusable; a refusal is the WIT's upload-error.
  assert.ok(error && 'payload' in error, `expected a component upload-error, got ${error}`);
  assert.equal(error.payload.tag, 'plan');
  assert.deepEqual(error.payload.val, {
    tag: 'too-many-chunks',
    val: { size: 0xffff_ffff_ffff_ffffn, chunkSize: 4194304n, chunks: 4398046511104n, max: 1048576n },
  });

  // Through the client: the largest size a Blob can report is refused the same way, typed.
  const client = createClient({ baseUrl: cfg.baseUrl, apiKey: 'k', fetch: () => assert.fail('no request for an unplannable file') });
  await assert.rejects(
    client.upload(new UnreadBlob(Number.MAX_SAFE_INTEGER), { name: 'huge.bin', workspace: 'w' }),
    (e) => e instanceof UploadError && e.kind === 'plan' && e.plan.kind === 'too_many_chunks' && e.plan.max === 1048576
      && /more than the maximum of 1048576/.test(e.message) && e.resumeToken === undefined,
  );
  // And through planUpload, before any session.
  await assert.rejects(planUpload(Number.MAX_SAFE_INTEGER), (e) => e instanceof PlanError && e.kind === 'too_many_chunks' && e.refusal.max === 1048576);
  // The instance still answers.
  assert.equal(await hash('crc32c', new TextEncoder().encode('123456789')), 'e3069283');
});

test('upload plans: serverLimits falls back to the options given when /upload/limits/ is refused', async () => {
  const base = 'http://fake.invalid/current/';
  const server = new FakeUploadServer(base);
  const client = createClient({ baseUrl: base, apiKey: 'k', fetch: server.fetch });
  const data = new Uint8Array(3 * 1048576 + 1).map((_, i) => i % 251);
  const done = await client.upload(new Blob([data]), {
    name: 'f.bin', workspace: 'ws1', chunkSize: 1048576, singleRequestMax: 1, serverLimits: true,
  });
  assert.equal(done.size, data.length);
  assert.equal(server.requests[0], 'GET upload/limits', server.requests.join(', '));
  assert.equal(server.chunkPosts.length, 4, 'the chunk size given is kept');
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
  assert.equal(done.digest, undefined, 'no digest asked for, none computed');
  assert.equal(done.crc32c, v.expect.crc32c);
  assert.equal(done.size, data.length);
  assert.deepEqual(server.sessions.get(v.token.upload_id).stored, Buffer.from(data));
});

test('resume token: a digest state is carried on, in the new and the legacy format', async () => {
  const v = readVector('upload', 'resume_token.json');
  const data = inputBytes(v.input);
  const base = 'http://fake.invalid/current/';
  for (const key of ['digest_token', 'legacy_token']) {
    const token = v[key];
    const server = new FakeUploadServer(base);
    const size = Number(token.plan.chunk_size);
    server.addSession(token.upload_id, {});
    server.sessions.get(token.upload_id).chunks.set(Number(token.acked[0].order), data.subarray(0, size));
    const client = createClient({ baseUrl: base, apiKey: 'k', fetch: server.fetch });
    const done = await client.resume(JSON.stringify(token), new Blob([data]), { digest: 'sha256' });
    assert.deepEqual(server.chunkPosts, v.expect.resend.map(Number), key);
    assert.deepEqual(done.digest, { algo: 'sha256', hex: v.expect.sha256 }, key);
    // The plain token has no state: asked for now, the digest is missing.
    const plain = new FakeUploadServer(base);
    plain.addSession(v.token.upload_id, {});
    plain.sessions.get(v.token.upload_id).chunks.set(1, data.subarray(0, size));
    const c2 = createClient({ baseUrl: base, apiKey: 'k', fetch: plain.fetch });
    const d2 = await c2.resume(JSON.stringify(v.token), new Blob([data]), { digest: 'sha256' });
    assert.equal(d2.digest, undefined, key);
  }
});

test('resume token: a damaged token is refused with a typed error', async () => {
  const client = createClient({ baseUrl: 'http://fake.invalid/current/', apiKey: 'k', fetch: () => assert.fail('no request') });
  await assert.rejects(client.resume('{"version": 99}', new Blob([new Uint8Array(3)])), (e) => e instanceof UploadError && e.kind === 'other');
  await assert.rejects(client.resume('not json', new Blob([new Uint8Array(3)])), UploadError);
});

// ---------------------------------------------------------------- webhooks

/** A vector's scheme as the package takes it. */
function schemeOf(v) {
  if (v.name === 'custom') {
    return {
      name: 'custom',
      signatureHeader: v.signature_header,
      idHeader: v.id_header ?? undefined,
      timestampHeader: v.timestamp_header ?? undefined,
      encoding: v.encoding,
      prefix: v.prefix,
      algorithm: v.algorithm,
      template: v.template,
    };
  }
  if (v.timestamp_header !== undefined) return { name: v.name, timestampHeader: v.timestamp_header };
  return v.name;
}

function webhookOptions(c) {
  const tc = c.timestamp_check;
  const o = {
    scheme: schemeOf(c.scheme),
    secrets: c.secrets,
    tolerance: tc === 'skip' ? false : { maxAgeS: Number(tc.max_age_s), maxFutureS: Number(tc.max_future_s) },
  };
  if ('max_body_bytes' in c) o.maxBodyBytes = Number(c.max_body_bytes);
  return o;
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
    // Setup errors may surface when the verifier is built or when it
    // verifies (the vectors' README); either way the kind is the vector's.
    assert.equal(e.kind, c.expect.error, where);
    if ('hint' in c.expect) assert.equal(e.hint ?? null, c.expect.hint, where);
    for (const s of c.secrets) if (s.length >= 8) assert.ok(!e.message.includes(s), `${where}: secret in message`);
    return true;
  }, where);
}

test('webhooks: every case verifies as expected, from raw parts and from a Request', async (t) => {
  const core = await loadCore();
  let checked = 0;
  let viaRequest = 0;
  let rawOnly = 0;
  for (const [file, c] of cases('webhooks')) {
    const where = `${file}: ${c.name}`;
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
    } else {
      rawOnly++;
    }
    checked++;
  }
  const total = cases('webhooks').length;
  assert.equal(checked, total, 'every webhook vector runs');
  assert.ok(viaRequest > 150, `only ${viaRequest} through a Request`);
  // Headers a fetch Request would trim or join (duplicates, padded values)
  // reach the core only through verifyRaw, which takes them as they are.
  t.diagnostic(`${checked} checked, ${viaRequest} also as Requests, ${rawOnly} with headers a Request rewrites`);
});

test('webhooks: signing reproduces the vectors’ headers exactly, custom schemes included', async () => {
  let signed = 0;
  let custom = 0;
  const all = cases('webhooks');
  for (const [file, c] of all) {
    if (!c.sign) continue;
    const secret = c.sign.secret ?? c.secrets[c.sign.secret_index];
    const got = await signWebhook(schemeOf(c.scheme), secret, bodyOf(c), {
      id: c.sign.id ?? undefined,
      timestamp: c.sign.timestamp === null ? undefined : Number(c.sign.timestamp),
    });
    const norm = (hs) => hs.map(([n, v]) => [n.toLowerCase(), v]).sort();
    assert.deepEqual(norm(got), norm(c.headers), `${file}: ${c.name}`);
    signed++;
    if (c.scheme.name === 'custom') custom++;
  }
  assert.equal(signed, all.filter(([, c]) => c.sign).length);
  assert.ok(signed > 30 && custom >= 5, `only ${signed} signing cases (${custom} custom)`);
});

test('webhooks: error kinds are the vectors’ snake_case spelling, whatever the component writes', async () => {
  const kinds = new Set(cases('webhooks').map(([, c]) => c.expect.error).filter(Boolean));
  for (const k of kinds) assert.match(k, /^[a-z]+(_[a-z]+)*$/, `vector kind ${k}`);
  // One mapping for every kind the package exposes: WIT variant cases are
  // kebab case, the core's strings and the vectors snake case.
  assert.equal(snakeKind('invalid-scheme'), 'invalid_scheme');
  assert.equal(snakeKind('timestamp_too_old'), 'timestamp_too_old');
  assert.equal(new WebhookError({ kind: 'unknown-scheme', hint: 'use-raw-body', message: 'm' }).kind, 'unknown_scheme');
  assert.equal(new WebhookError({ kind: 'unknown-scheme', hint: 'use-raw-body', message: 'm' }).hint, 'use_raw_body');
  // An unknown scheme name, from the component.
  await assert.rejects(
    verifyWebhook(new Request('https://r.example/', { method: 'POST', body: '{}' }), { scheme: 'no-such-scheme', secrets: 's3cret-value', tolerance: 300 }),
    (e) => e instanceof WebhookError && e.kind === 'invalid_scheme' && !e.message.includes('s3cret-value'),
  );
  // Hash and transfer kinds go through the same mapping.
  const bad = await DigestVerifier.create('not-hex', 'sha256');
  assert.throws(() => bad.finish(), (e) => e instanceof HashError && e.kind === 'bad_digest');
});

// ---------------------------------------------------------------- policy

test('policy sniff vectors: each head is recognised as expected, whole and a byte at a time', async () => {
  const v = readVector('policy', 'sniff.json');
  assert.ok(v.cases.length >= 20);
  const sniffer = await Sniffer.create();
  const open = await UploadPolicy.create({});
  for (const c of v.cases) {
    const head = b64(c.head_b64);
    const r = sniffer.sniff(head, c.complete);
    assert.equal(r.status === 'known' ? r.kind : r.status, c.expect, c.name);
    assert.deepEqual(await sniff(head, { complete: c.complete }), r, `${c.name} (sniff)`);
    if (c.complete) {
      const w = open.watch(head.length);
      for (const b of head) w.feed(Uint8Array.of(b));
      assert.equal(w.seen, head.length, c.name);
      assert.equal(w.finish() ?? 'unknown', c.expect, `${c.name} (body watch)`);
      w.dispose();
    }
  }
  assert.ok(sniffer.window >= 8);
  sniffer.dispose();
});

function grantOf(g) {
  return { workspace: g.w, folder: g.f, maxSize: Number(g.m), expires: Number(g.e), issued: Number(g.i), nonce: g.n ?? '' };
}

test('policy grant vectors: issued byte for byte, verified or refused with the vectors’ kind', async () => {
  const v = readVector('policy', 'grants.json');
  assert.ok(v.cases.length >= 10);
  let issued = 0;
  for (const c of v.cases) {
    if (c.issue) {
      const key = await GrantKey.create(c.keys[0]);
      assert.equal(key.issue(grantOf(c.issue)), c.token, `${c.name}: issued`);
      assert.equal(c.token.split('.')[1], key.kid, c.name);
      key.dispose();
      issued++;
    }
    const ring = await GrantKeyring.create(c.keys);
    const now = Number(c.now);
    if (c.expect.ok) {
      assert.deepEqual(ring.verify(c.token, now), grantOf(c.expect.ok), c.name);
    } else {
      assert.throws(() => ring.verify(c.token, now), (e) => {
        assert.ok(e instanceof GrantError, `${c.name}: ${e}`);
        assert.equal(e.kind, c.expect.error, c.name);
        for (const k of c.keys) assert.ok(!e.message.includes(k), `${c.name}: key in message`);
        if (e.kind === 'expired' || e.kind === 'not_yet_valid') assert.equal(e.now, now, c.name);
        return true;
      }, c.name);
    }
    ring.dispose();
  }
  assert.ok(issued >= 1);
});
