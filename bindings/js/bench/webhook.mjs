// Webhook verifications per second: the package against the `standardwebhooks`
// npm package (the Standard Webhooks reference for JS) on the same delivery,
// a 1 KiB JSON body signed with one whsec_ secret. Two levels:
//   raw:     headers and body already in hand
//   Request: from a standard Request, reading its body (what a route does);
//            `verifyWebhook` also sets up its verifier (decodes the key) per call
//
//   node bench/webhook.mjs

import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { WebhookVerifier, loadCore, signWebhook, verifyWebhook } from 'fastio-core';
import { compare, machine } from './common.mjs';

await loadCore();
const secret = 'whsec_' + Buffer.from('fastio-bench-key-0123456789abcdef').toString('base64');
const shell = (note) => JSON.stringify({ event: 'workspace_storage_file_added', data: { note } });
const body = shell('x'.repeat(1024 - shell('').length));
assert.equal(Buffer.byteLength(body), 1024);
const bodyBytes = new TextEncoder().encode(body);
const now = Math.floor(Date.now() / 1000);
const pairs = await signWebhook('standard-webhooks', secret, bodyBytes, { id: 'msg_bench', timestamp: now });
const headers = Object.fromEntries(pairs);

const ours = await WebhookVerifier.create({ scheme: 'standard-webhooks', secrets: secret, tolerance: 300 });
const theirs = new Webhook(secret);
const opts = { scheme: 'standard-webhooks', secrets: secret, tolerance: 300 };

// Both accept the delivery and refuse a tampered one.
assert.equal(ours.verifyRaw(pairs, bodyBytes).id, 'msg_bench');
theirs.verify(body, headers);
assert.throws(() => ours.verifyRaw(pairs, body.replace('x', 'y')));
assert.throws(() => theirs.verify(body.replace('x', 'y'), headers));

const request = () => new Request('https://receiver.example/hook', { method: 'POST', headers: pairs, body });
const batch = 200;
const r = await compare(
  [
    ['fastio-core verifyRaw (reused verifier)', () => {
      for (let i = 0; i < batch; i++) ours.verifyRaw(pairs, bodyBytes);
    }],
    ['standardwebhooks Webhook.verify', () => {
      for (let i = 0; i < batch; i++) theirs.verify(body, headers, { jsonParse: false });
    }],
    ['fastio-core WebhookVerifier.verify(Request)', async () => {
      for (let i = 0; i < batch; i++) await ours.verify(request());
    }],
    ['fastio-core verifyWebhook(Request)', async () => {
      for (let i = 0; i < batch; i++) await verifyWebhook(request(), opts);
    }],
    ['standardwebhooks from Request', async () => {
      for (let i = 0; i < batch; i++) {
        const req = request();
        theirs.verify(await req.text(), Object.fromEntries(req.headers), { jsonParse: false });
      }
    }],
  ],
  { unit: batch, rounds: 5, ms: 1500 },
);
console.log(`Webhook verify, standard-webhooks v1, 1 KiB body (${machine()})`);
for (const [name, perS] of Object.entries(r)) {
  console.log(`  ${name.padEnd(42)} ${perS.toFixed(0).padStart(8)} /s  ${(1e6 / perS).toFixed(2).padStart(7)} µs each`);
}
const v = Object.values(r);
console.log(`  ratio raw:     package / standardwebhooks ${(v[0] / v[1]).toFixed(2)}`);
console.log(`  ratio Request: package (reused verifier) / standardwebhooks ${(v[2] / v[4]).toFixed(2)}`);
console.log(`  ratio Request: package (verifyWebhook) / standardwebhooks ${(v[3] / v[4]).toFixed(2)}`);
ours.dispose();
