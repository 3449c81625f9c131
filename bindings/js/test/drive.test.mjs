// tests/vectors/drive: the host contract, step by step. Each trace drives the
// upload machine of the loaded component (`core.uploads.UploadSession`, the
// WIT projection) with one clock that starts at 0, and checks every action it
// hands out and what every answer fed back becomes: `accepted`, `ignored`, or
// a thrown `input-error` (misuse). The pager traces walk listings through
// the component's pager, then through `client.pages` with a fetch that serves
// the trace. The download traces drive the component's verified download,
// streamed bodies fed piece by piece. `core/tests/drive_vectors.rs` is the
// reference replayer; the format is in tests/vectors/drive/README.md.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError, TransferError, UsageError, createClient, loadCore, snakeKind } from 'fastio-core';
import { readVector } from './support/vectors.mjs';

const doc = readVector('drive', 'upload.json');

/** A trace's options as the WIT's upload-options; absent ones keep the core's default. */
function witOptions(o) {
  const big = (v) => (v === undefined ? undefined : BigInt(v));
  return {
    chunkSize: big(o.chunk_size),
    singleRequestMax: big(o.single_request_max),
    parallel: o.parallel === undefined ? undefined : Number(o.parallel),
    requestTimeoutMs: big(o.request_timeout_ms),
    seed: big(o.seed),
    fetchLimits: o.fetch_limits,
    persistToken: o.persist_token,
    fileDigest: o.file_digest,
    verifyStored: o.verify_stored,
  };
}

/** What feeding an answer became, by the traces' names. */
function fed(f) {
  try {
    return f();
  } catch (e) {
    assert.ok(e && 'payload' in e, `expected an input-error, got ${e}`);
    return 'misuse';
  }
}

function checkSend(at, want, base, req) {
  assert.equal(req.method.toUpperCase(), want.method, `${at}: method of ${req.url}`);
  assert.ok(req.url.startsWith(base), `${at}: ${req.url} is under ${base}`);
  const rest = req.url.slice(base.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  assert.equal(path, want.path, `${at}: path`);
  const got = new Map();
  for (const p of (q < 0 ? '' : rest.slice(q + 1)).split('&')) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    got.set(eq < 0 ? p : p.slice(0, eq), eq < 0 ? '' : p.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(want.query ?? {})) assert.equal(got.get(k), v, `${at}: query ${k}`);
}

/** Replays one trace; returns the number of steps checked. */
function replay(core, c) {
  const base = doc.base_url;
  assert.equal(c.machine, 'upload', c.name);
  assert.equal(doc.file.kind, 'pattern');
  const config = { baseUrl: base, credential: { tag: 'api-key', val: doc.api_key }, chunkParams: 'query' };
  const size = Number(c.spec.size);
  const file = Uint8Array.from({ length: size }, (_, i) => i % 251);
  const spec = { name: c.spec.name, size: BigInt(size), workspace: c.spec.workspace, folder: c.spec.folder };
  const up = core.uploads.UploadSession.create(config, spec, witOptions(c.options));
  let now = 0n;
  const ids = new Map();
  const reads = new Map();
  c.steps.forEach((step, i) => {
    const at = `${c.name} step ${i}`;
    if (step.pull) {
      const kind = Object.keys(step.pull)[0];
      const want = step.pull[kind];
      const a = up.nextAction(now);
      if (kind === 'none') {
        assert.equal(a, undefined, `${at}: wanted nothing, got ${a?.tag}`);
        return;
      }
      assert.equal(a?.tag, kind, `${at}: wanted ${kind}, got ${a?.tag}`);
      switch (kind) {
        case 'send':
          checkSend(at, want, base, a.val.request);
          if (step.as) ids.set(step.as, a.val.id);
          break;
        case 'read':
          assert.deepEqual([a.val.offset, a.val.len], [BigInt(want.offset), BigInt(want.len)], at);
          assert.ok(step.as, `${at}: a read is named`);
          ids.set(step.as, a.val.id);
          reads.set(step.as, [Number(a.val.offset), Number(a.val.len)]);
          break;
        case 'wait':
          assert.equal(a.val, BigInt(want), at);
          break;
        case 'persist': {
          const token = JSON.parse(a.val);
          assert.equal(token.upload_id, want.upload_id, at);
          assert.deepEqual(token.acked.map((x) => x.order), want.acked, at);
          break;
        }
        case 'progress':
          assert.deepEqual(
            [a.val.chunksAcked, a.val.bytesAcked],
            [BigInt(want.chunks_acked), BigInt(want.bytes_acked)],
            at,
          );
          break;
        case 'done':
          assert.equal(a.val.nodeId, want.node_id, at);
          assert.equal(a.val.size, BigInt(want.size), at);
          assert.equal(a.val.stored.tag.replace('-', '_'), want.stored, at);
          assert.deepEqual(a.val.digest ?? null, want.digest, at);
          break;
        case 'failed':
          assert.equal(a.val.tag === 'stored-mismatch' || a.val.tag === 'integrity' ? 'integrity' : a.val.tag, want, at);
          break;
        default:
          assert.fail(`${at}: unknown pull ${kind}`);
      }
    } else if (step.respond !== undefined) {
      assert.ok(ids.has(step.respond), `${at}: no request ${step.respond}`);
      const response = { status: step.answer.status, headers: [], body: new TextEncoder().encode(step.answer.body) };
      assert.equal(fed(() => up.onResponse(ids.get(step.respond), response, now)), step.fed, at);
    } else if (step.data !== undefined) {
      const [offset, len] = reads.get(step.data);
      assert.equal(fed(() => up.onData(ids.get(step.data), file.slice(offset, offset + len), now)), step.fed, at);
    } else if (step.transport_error !== undefined) {
      assert.ok(ids.has(step.transport_error), `${at}: no request ${step.transport_error}`);
      assert.equal(fed(() => up.onTransportError(ids.get(step.transport_error), 'connection reset', now)), step.fed, at);
    } else if (step.timeout !== undefined) {
      now = BigInt(step.timeout);
      up.onTimeout(now);
    } else if (step.clock !== undefined) {
      now = BigInt(step.clock);
    } else {
      assert.fail(`${at}: unknown step ${JSON.stringify(step)}`);
    }
  });
  return c.steps.length;
}

test('drive vectors: every upload trace replays through the component, step by step', async (t) => {
  const core = await loadCore();
  assert.equal(doc.version, 1);
  assert.ok(doc.cases.length >= 5, `only ${doc.cases.length} traces`);
  let replayed = 0;
  let steps = 0;
  for (const c of doc.cases) {
    await t.test(c.name, () => {
      steps += replay(core, c);
      replayed++;
    });
  }
  assert.equal(replayed, doc.cases.length, 'every trace replayed to its end');
  t.diagnostic(`${replayed} traces, ${steps} steps checked`);
});

// ---- pager.json: listings walked through the component's pager, every
// request it gives and every page (or error) each answer becomes.

const pagerDoc = readVector('drive', 'pager.json');

function checkRequest(at, want, base, req) {
  checkSend(at, want, base, req);
  const query = new URL(req.url).searchParams;
  for (const k of want.absent ?? []) assert.ok(!query.has(k), `${at}: ${k} must be absent from ${req.url}`);
}

const answerOf = (a) => ({ status: a.status, headers: [], body: new TextEncoder().encode(a.body) });

/** The WIT error a component call threw. */
function witError(f) {
  try {
    const got = f();
    assert.fail(`wanted an error, got ${JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  } catch (e) {
    assert.ok(e && 'payload' in e, `expected a WIT error, got ${e}`);
    return e.payload;
  }
}

/** Replays one pager trace; returns the number of steps checked (1 for a refused call). */
function replayPager(core, c) {
  const base = pagerDoc.base_url;
  const config = { baseUrl: base, credential: { tag: 'api-key', val: pagerDoc.api_key }, chunkParams: 'query' };
  const call = JSON.stringify(c.call);
  if (c.refused !== undefined) {
    assert.equal(c.refused, 'not_pageable', c.name);
    const err = witError(() => core.requests.Pager.create(config, call, c.max_pages));
    assert.equal(err.tag, 'invalid-input', `${c.name}: ${JSON.stringify(err)}`);
    assert.match(err.val, /not paged/, c.name);
    assert.equal(c.steps.length, 0, c.name);
    return 1;
  }
  const pager = core.requests.Pager.create(config, call, c.max_pages);
  c.steps.forEach((step, i) => {
    const at = `${c.name} step ${i}`;
    if (step.end) {
      assert.equal(pager.nextRequest(), undefined, `${at}: the walk is over`);
      assert.equal(pager.isDone(), true, at);
    } else if (step.next_error !== undefined) {
      assert.equal(step.next_error, 'page_limit', at);
      const err = witError(() => pager.nextRequest());
      assert.equal(err.tag, 'other', `${at}: ${JSON.stringify(err)}`);
      assert.match(err.val, /did not end within 1 pages?/, at);
    } else if (step.request) {
      const req = pager.nextRequest();
      assert.ok(req, `${at}: a page is due`);
      checkRequest(at, step.request, base, req);
      if (step.page) {
        const page = pager.onResponse(answerOf(step.answer));
        assert.deepEqual(page.itemsJson.map((t) => JSON.parse(t).id), step.page.items, `${at}: items`);
        assert.equal(page.done, step.page.done, `${at}: done`);
        assert.equal(pager.isDone(), page.done, at);
        assert.deepEqual(page.degraded, step.page.degraded ?? [], `${at}: degraded`);
        assert.equal(page.status, step.answer.status, at);
        assert.equal(typeof JSON.parse(page.payloadJson), 'object', at);
      } else {
        const want = step.error.api;
        const err = witError(() => pager.onResponse(answerOf(step.answer)));
        assert.equal(err.tag, 'api', `${at}: ${JSON.stringify(err)}`);
        assert.equal(err.val.status, want.status, at);
        if (want.kind !== undefined) assert.equal(snakeKind(err.val.kind), want.kind, at);
      }
    } else {
      assert.fail(`${at}: unknown step ${JSON.stringify(step)}`);
    }
  });
  return Math.max(1, c.steps.length);
}

test('drive vectors: every pager trace replays through the component, step by step', async (t) => {
  const core = await loadCore();
  assert.equal(pagerDoc.version, 1);
  assert.ok(pagerDoc.cases.length >= 8, `only ${pagerDoc.cases.length} traces`);
  const checked = {};
  for (const c of pagerDoc.cases) {
    await t.test(c.name, () => {
      checked[c.name] = replayPager(core, c);
    });
  }
  assert.deepEqual(
    checked,
    Object.fromEntries(pagerDoc.cases.map((c) => [c.name, Math.max(1, c.steps.length)])),
    'every trace replayed, every step',
  );
  t.diagnostic(`${Object.keys(checked).length} traces, ${Object.values(checked).reduce((a, b) => a + b, 0)} steps checked`);
});

/**
 * A fetch that serves a trace: each request must be the next step's, and it
 * gets that step's answer. `served` counts the steps answered.
 */
function traceFetch(c, base) {
  const pending = c.steps.filter((s) => s.request);
  const state = { served: 0 };
  const f = async (input, init) => {
    const req = new Request(input, init);
    const step = pending[state.served];
    assert.ok(step, `${c.name}: request ${req.url} past the trace`);
    checkRequest(`${c.name} request ${state.served}`, step.request, base, { method: req.method, url: req.url });
    state.served++;
    return new Response(step.answer.body, { status: step.answer.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: f, state };
}

test('drive vectors: client.pages walks every pager trace with fetch', async (t) => {
  const base = pagerDoc.base_url;
  let walked = 0;
  for (const c of pagerDoc.cases) {
    await t.test(c.name, async () => {
      const { fetch, state } = traceFetch(c, base);
      const client = createClient({ baseUrl: base, apiKey: pagerDoc.api_key, fetch });
      const opts = c.max_pages === undefined ? {} : { maxPages: c.max_pages };
      const pages = client.pages(c.call, opts);
      if (c.refused !== undefined) {
        await assert.rejects(pages.next(), (e) => e instanceof UsageError && e.code === 'not-pageable');
        assert.equal(state.served, 0, 'nothing was sent');
        walked++;
        return;
      }
      for (const [i, step] of c.steps.entries()) {
        const at = `${c.name} step ${i}`;
        if (step.end) {
          assert.deepEqual(await pages.next(), { done: true, value: undefined }, `${at}: the walk is over`);
        } else if (step.next_error !== undefined) {
          await assert.rejects(pages.next(), (e) => e instanceof TransferError && e.kind === step.next_error, at);
        } else if (step.page) {
          const { done, value } = await pages.next();
          assert.equal(done, false, at);
          assert.deepEqual(value.items.map((x) => x.id), step.page.items, `${at}: items`);
          assert.equal(value.done, step.page.done, at);
          assert.deepEqual(value.degraded, step.page.degraded ?? [], `${at}: degraded`);
          assert.equal(value.status, step.answer.status, at);
        } else {
          // An error answer ends the generator (the component's pager would
          // give the same request again: the replay above checks that).
          await assert.rejects(
            pages.next(),
            (e) => e instanceof ApiError && e.status === step.error.api.status && (step.error.api.kind ?? e.kind) === e.kind,
            at,
          );
          assert.deepEqual(await pages.next(), { done: true, value: undefined }, `${at}: the walk ended`);
          assert.equal(state.served, c.steps.slice(0, i + 1).filter((s) => s.request).length, at);
          walked++;
          return;
        }
      }
      assert.equal(state.served, c.steps.filter((s) => s.request).length, 'every request of the trace was sent');
      walked++;
    });
  }
  assert.equal(walked, pagerDoc.cases.length, 'every trace walked');
});

// ---- download.json: the verified download of the component, every action it
// hands out and what every answer, piece of body and end fed back becomes.

const downloadDoc = readVector('drive', 'download.json');

const show = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

/** The `failed` kind of a download trace, from the WIT's upload-error. */
function downloadFailure(e) {
  switch (e.tag) {
    case 'verify':
    case 'integrity':
      return 'integrity';
    case 'api':
      return 'api';
    case 'retries-exhausted':
      return 'retries_exhausted';
    default:
      return `other (${e.tag})`;
  }
}

/** Replays one download trace; returns the number of steps checked. */
function replayDownload(core, c) {
  const base = downloadDoc.base_url;
  assert.equal(downloadDoc.file.kind, 'pattern');
  const config = { baseUrl: base, credential: { tag: 'api-key', val: downloadDoc.api_key }, chunkParams: 'query' };
  const file = Uint8Array.from({ length: Number(downloadDoc.file.size) }, (_, i) => i % 251);
  const spec = { workspace: downloadDoc.spec.workspace, nodeId: downloadDoc.spec.node };
  const dl = new core.uploads.Download(config, spec, BigInt(downloadDoc.seed));
  let now = 0n;
  const ids = new Map();
  const idOf = (at, n) => {
    assert.ok(ids.has(n), `${at}: no request ${n}`);
    return ids.get(n);
  };
  let checked = 0;
  c.steps.forEach((step, i) => {
    const at = `${c.name} step ${i}`;
    if (step.pull) {
      const [kind, want] = Object.entries(step.pull)[0];
      const a = dl.nextAction(now);
      if (kind === 'none') {
        assert.equal(a, undefined, `${at}: wanted nothing, got ${show(a)}`);
      } else {
        assert.equal(a?.tag, kind, `${at}: wanted ${kind}, got ${show(a)}`);
        switch (kind) {
          case 'send': {
            const { id, request, streamResponse } = a.val;
            assert.equal(streamResponse, want.stream, `${at}: stream`);
            if (want.url !== undefined) {
              assert.equal(request.url, want.url, `${at}: url`);
              assert.equal(request.method.toUpperCase(), want.method, `${at}: method`);
            } else {
              checkRequest(at, want, base, request);
            }
            if (want.credentials !== undefined) {
              const has = request.headers.some((h) => h.name.toLowerCase() === 'authorization');
              assert.equal(has, want.credentials, `${at}: credentials`);
            }
            assert.ok(step.as, `${at}: a send is named`);
            ids.set(step.as, id);
            break;
          }
          case 'wait':
            assert.equal(a.val, BigInt(want), `${at}: wait`);
            break;
          case 'progress':
            assert.equal(a.val.bytes, BigInt(want.bytes), `${at}: bytes`);
            assert.equal(a.val.total, want.total == null ? undefined : BigInt(want.total), `${at}: total`);
            break;
          case 'done':
            assert.equal(a.val.nodeId, downloadDoc.spec.node, `${at}: node`);
            assert.equal(a.val.size, BigInt(want.size), `${at}: size`);
            assert.equal(a.val.sha256, want.sha256, `${at}: sha256`);
            break;
          case 'failed':
            assert.equal(downloadFailure(a.val), want, `${at}: ${show(a.val)}`);
            break;
          default:
            assert.fail(`${at}: unknown pull ${kind}`);
        }
      }
    } else if (step.respond !== undefined) {
      const id = idOf(at, step.respond);
      const response = {
        status: step.answer.status,
        headers: (step.answer.headers ?? []).map(([name, value]) => ({ name, value })),
        body: new TextEncoder().encode(step.answer.body),
      };
      assert.equal(fed(() => dl.onResponse(id, response, now)), step.fed, at);
    } else if (step.data !== undefined) {
      const id = idOf(at, step.data);
      const [from, to] = step.range;
      assert.equal(fed(() => dl.onData(id, file.slice(from, to))), step.fed, at);
    } else if (step.end !== undefined) {
      const id = idOf(at, step.end);
      assert.equal(fed(() => dl.onEnd(id)), step.fed, at);
    } else if (step.transport_error !== undefined) {
      const id = idOf(at, step.transport_error);
      assert.equal(fed(() => dl.onTransportError(id, 'connection reset', now)), step.fed, at);
    } else if (step.timeout !== undefined) {
      now = BigInt(step.timeout);
      dl.onTimeout(now);
    } else if (step.clock !== undefined) {
      now = BigInt(step.clock);
    } else {
      assert.fail(`${at}: unknown step ${JSON.stringify(step)}`);
    }
    checked++;
  });
  return checked;
}

test('drive vectors: every download trace replays through the component, step by step', async (t) => {
  const core = await loadCore();
  assert.equal(downloadDoc.version, 1);
  assert.ok(downloadDoc.cases.length >= 4, `only ${downloadDoc.cases.length} traces`);
  const names = downloadDoc.cases.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'trace names are distinct');
  const checked = {};
  for (const c of downloadDoc.cases) {
    await t.test(c.name, () => {
      checked[c.name] = replayDownload(core, c);
    });
  }
  assert.deepEqual(
    checked,
    Object.fromEntries(downloadDoc.cases.map((c) => [c.name, c.steps.length])),
    'every trace replayed, every step',
  );
  const total = Object.values(checked).reduce((a, b) => a + b, 0);
  assert.ok(total >= 40, `only ${total} steps`);
  t.diagnostic(`${names.length} traces, ${total} steps checked`);
});
