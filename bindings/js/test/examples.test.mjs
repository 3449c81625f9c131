// The examples, compiled from TypeScript (build/examples), called directly
// with standard Request objects: uploads stream to a devserver, webhooks are
// signed by the package and checked by the routes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from './support/fake-upload-server.mjs';
import { createHash } from 'node:crypto';
import { register } from 'node:module';

import { createClient, signWebhook } from 'fastio-core';
import { bytes, createWorkspace, readAll, startDevserver } from './support/devserver.mjs';
import { env as svelteEnv } from './support/sveltekit-env.mjs';

// SvelteKit's `$env/dynamic/private` resolves to the test stand-in.
register('./support/sveltekit-hooks.mjs', import.meta.url);

const build = new URL('../build/examples/', import.meta.url);
const uploadRoute = await import(new URL('sveltekit/src/routes/api/upload/+server.js', build).href);
const webhookRoute = await import(new URL('sveltekit/src/routes/api/webhooks/fastio/+server.js', build).href);
const worker = (await import(new URL('fetch-handler/worker.js', build).href)).default;

const SECRET = 'whk-secret-for-the-examples';
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

let server;
let client;
let workerEnv;

before(async () => {
  server = await startDevserver();
  client = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  const workspace = await createWorkspace(client, 'JsExamples');
  Object.assign(svelteEnv, {
    FASTIO_API_KEY: server.apiKey,
    FASTIO_BASE_URL: server.baseUrl,
    FASTIO_WORKSPACE: workspace,
    FASTIO_WEBHOOK_SECRET: SECRET,
  });
  workerEnv = {
    FASTIO_API_KEY: server.apiKey,
    FASTIO_BASE_URL: server.baseUrl,
    FASTIO_WORKSPACE: workspace,
    FASTIO_WEBHOOK_SECRET: SECRET,
    UPLOAD_TOKEN: 'gateway-token',
  };
});

after(async () => {
  await server?.stop();
});

function bodyStream(data, piece = 50_000) {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= data.length) return c.close();
      c.enqueue(data.slice(at, at + piece));
      at += piece;
    },
  });
}

async function downloaded(node) {
  const s = client.download(node, { workspace: svelteEnv.FASTIO_WORKSPACE });
  return readAll(s);
}

const event = JSON.stringify({
  id: 'evt-1',
  event: 'workspace_storage_file_added',
  workspace_id: '1',
  object_id: 'n1',
  created: '2026-01-01 00:00:00',
  data: {},
});

async function signed(body, extra = {}) {
  const headers = await signWebhook('fastio', SECRET, body);
  return new Headers([...headers, ['content-type', 'application/json'], ...Object.entries(extra)]);
}

// ---------------------------------------------------------------- SvelteKit

test('SvelteKit upload route streams a request body to Fast.io', async () => {
  const data = bytes(2 * 1024 * 1024 + 9, 29);
  const request = new Request('http://app.local/api/upload?name=from-svelte.bin', {
    method: 'PUT',
    body: bodyStream(data),
    duplex: 'half',
  });
  const res = await uploadRoute.PUT({ request });
  assert.equal(res.status, 201, await res.clone().text());
  const out = await res.json();
  assert.equal(out.size, data.length);
  assert.equal(out.crc32c, crc32c(data));
  assert.ok((await downloaded(out.node)).equals(Buffer.from(data)));
});

test('SvelteKit upload route answers 400 without a name or a body', async () => {
  const noName = await uploadRoute.PUT({ request: new Request('http://app.local/api/upload', { method: 'PUT', body: 'x' }) });
  assert.equal(noName.status, 400);
  const noBody = await uploadRoute.PUT({ request: new Request('http://app.local/api/upload?name=a', { method: 'PUT' }) });
  assert.equal(noBody.status, 400);
});

test('SvelteKit webhook route accepts a signed delivery and names its event', async () => {
  const request = new Request('http://app.local/api/webhooks/fastio', {
    method: 'POST',
    headers: await signed(event, { 'x-fastio-delivery-id': 'd-1' }),
    body: event,
  });
  const res = await webhookRoute.POST({ request });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { event: 'workspace_storage_file_added', id: 'd-1' });
  // The same delivery again is dropped as a replay.
  const again = new Request('http://app.local/api/webhooks/fastio', {
    method: 'POST',
    headers: await signed(event, { 'x-fastio-delivery-id': 'd-1' }),
    body: event,
  });
  assert.equal((await webhookRoute.POST({ request: again })).status, 204);
});

test('SvelteKit webhook route refuses a wrong secret, a missing header and a changed body', async () => {
  const wrong = await signWebhook('fastio', 'some-other-secret', event);
  const cases = [
    [new Headers(wrong), event, 'no_matching_signature'],
    [new Headers({ 'content-type': 'application/json' }), event, 'missing_header'],
    [await signed(event), event.replace('n1', 'n2'), 'no_matching_signature'],
  ];
  for (const [headers, body, kind] of cases) {
    const res = await webhookRoute.POST({ request: new Request('http://app.local/hook', { method: 'POST', headers, body }) });
    assert.equal(res.status, 401);
    const out = await res.json();
    assert.equal(out.error, kind);
    assert.ok(!JSON.stringify(out).includes(SECRET));
  }
});

test('SvelteKit webhook route answers 400 for a body already read', async () => {
  const request = new Request('http://app.local/hook', { method: 'POST', headers: await signed(event), body: event });
  await request.text();
  const res = await webhookRoute.POST({ request });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'body-used');
});

// ---------------------------------------------------------------- fetch handler

test('fetch handler streams an authorised upload to Fast.io', async () => {
  const data = bytes(600_000, 31);
  const request = new Request('http://gateway.local/upload/gateway%20file.bin', {
    method: 'PUT',
    headers: { authorization: 'Bearer gateway-token' },
    body: bodyStream(data, 65536),
    duplex: 'half',
  });
  const res = await worker.fetch(request, workerEnv);
  assert.equal(res.status, 201, await res.clone().text());
  const out = await res.json();
  assert.equal(out.crc32c, crc32c(data));
  const list = await client.call({ storage: { op: 'list', profile: { workspace: workerEnv.FASTIO_WORKSPACE } } });
  assert.ok(list.nodes.some((n) => n.id === out.node && n.name === 'gateway file.bin'));
  assert.ok((await downloaded(out.node)).equals(Buffer.from(data)));
});

test('fetch handler refuses uploads without the gateway token, and unknown routes', async () => {
  const bad = await worker.fetch(
    new Request('http://gateway.local/upload/x.bin', { method: 'PUT', headers: { authorization: 'Bearer nope' }, body: 'x' }),
    workerEnv,
  );
  assert.equal(bad.status, 401);
  const none = await worker.fetch(new Request('http://gateway.local/upload/x.bin', { method: 'PUT', body: 'x' }), workerEnv);
  assert.equal(none.status, 401);
  const other = await worker.fetch(new Request('http://gateway.local/elsewhere'), workerEnv);
  assert.equal(other.status, 404);
});

test('fetch handler verifies webhooks and refuses a wrong secret', async () => {
  const good = await worker.fetch(
    new Request('http://gateway.local/webhooks/fastio', { method: 'POST', headers: await signed(event), body: event }),
    workerEnv,
  );
  assert.equal(good.status, 200);
  assert.deepEqual(await good.json(), { event: 'workspace_storage_file_added' });
  const bad = await worker.fetch(
    new Request('http://gateway.local/webhooks/fastio', {
      method: 'POST',
      headers: await signWebhook('fastio', 'not-the-secret', event),
      body: event,
    }),
    { ...workerEnv },
  );
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).error, 'no_matching_signature');
  const misconfigured = await worker.fetch(
    new Request('http://gateway.local/webhooks/fastio', { method: 'POST', headers: await signed(event), body: event }),
    { ...workerEnv, FASTIO_WEBHOOK_SECRET: '' },
  );
  assert.equal(misconfigured.status, 500);
});
