// Runs worker.ts in workerd — Cloudflare's Workers runtime — the way wrangler
// deploys it: bundled by esbuild with the "workerd" export condition, each
// `.wasm` import kept as a compiled-wasm module, served by Miniflare. Then it
// sends the worker a file to upload and a signed webhook, and downloads the
// stored file back in Node to compare.
//
//   npm install fastio-core esbuild miniflare
//   FASTIO_API_KEY=... FASTIO_API_BASE=... node run-in-workerd.mjs WORKSPACE_ID
//
// worker.ts must sit beside this file, in the project that has those packages.

import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { createClient, signWebhook } from 'fastio-core';

const [workspace] = process.argv.slice(2);
if (!workspace || !process.env.FASTIO_API_KEY) {
  console.error('usage: FASTIO_API_KEY=... [FASTIO_API_BASE=...] node run-in-workerd.mjs WORKSPACE_ID');
  process.exit(2);
}
const here = fileURLToPath(new URL('.', import.meta.url));
const out = await mkdtemp(join(tmpdir(), 'fastio-workerd-'));
let mf;
try {
  // What wrangler does with a module worker: one bundle, wasm beside it.
  const wasm = [];
  await esbuild.build({
    entryPoints: [join(here, 'worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    outfile: join(out, 'worker.js'),
    external: ['node:*'],
    logLevel: 'warning',
    plugins: [
      {
        name: 'wasm-modules',
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, async (args) => {
            const path = resolve(args.resolveDir, args.path);
            const name = basename(path);
            if (!wasm.includes(name)) {
              wasm.push(name);
              await copyFile(path, join(out, name));
            }
            return { path: `./${name}`, external: true };
          });
        },
      },
    ],
  });
  if (wasm.length === 0) throw new Error('the bundle imports no .wasm: the "workerd" entry was not chosen');

  const uploadToken = randomBytes(16).toString('hex');
  const webhookSecret = randomBytes(16).toString('hex');
  mf = new Miniflare({
    modulesRoot: out,
    modules: [
      { type: 'ESModule', path: join(out, 'worker.js') },
      ...wasm.map((name) => ({ type: 'CompiledWasm', path: join(out, name) })),
    ],
    compatibilityDate: '2025-09-01',
    bindings: {
      FASTIO_API_KEY: process.env.FASTIO_API_KEY,
      FASTIO_WORKSPACE: workspace,
      ...(process.env.FASTIO_API_BASE ? { FASTIO_BASE_URL: process.env.FASTIO_API_BASE } : {}),
      FASTIO_WEBHOOK_SECRET: webhookSecret,
      UPLOAD_TOKEN: uploadToken,
    },
  });

  const data = randomBytes(6_000_000);
  // A small body: the worker answers before reading it.
  const refused = await mf.dispatchFetch('http://gateway/upload/refused.bin', { method: 'PUT', body: 'x' });
  if (refused.status !== 401) throw new Error(`an upload without the token got ${refused.status}`);
  const res = await mf.dispatchFetch('http://gateway/upload/workerd.bin', {
    method: 'PUT',
    headers: { authorization: `Bearer ${uploadToken}` },
    body: data,
  });
  const stored = await res.json();
  if (res.status !== 201) throw new Error(`upload through the worker: ${res.status} ${JSON.stringify(stored)}`);
  console.log(`workerd uploaded ${stored.size} bytes as node ${stored.node}, crc32c ${stored.crc32c}`);

  const fastio = createClient({ apiKey: process.env.FASTIO_API_KEY, baseUrl: process.env.FASTIO_API_BASE });
  const download = fastio.download(stored.node, { workspace, verify: true });
  const parts = [];
  for await (const part of download) parts.push(part);
  if (!Buffer.concat(parts).equals(data)) throw new Error('the stored file differs from what the worker was sent');
  console.log('workerd upload downloaded back, identical');

  const body = '{"event":"workspace_storage_file_added","workspace_id":"1"}';
  const headers = await signWebhook('fastio', webhookSecret, body, { timestamp: Math.floor(Date.now() / 1000) });
  const hook = await mf.dispatchFetch('http://gateway/webhooks/fastio', { method: 'POST', headers, body });
  if (hook.status !== 200) throw new Error(`signed webhook: ${hook.status} ${await hook.text()}`);
  const tampered = await mf.dispatchFetch('http://gateway/webhooks/fastio', {
    method: 'POST',
    headers,
    body: body.replace('"1"', '"2"'),
  });
  if (tampered.status !== 401) throw new Error(`a tampered webhook got ${tampered.status}`);
  console.log('workerd webhook verified, tampered one refused');
} finally {
  await mf?.dispose();
  await rm(out, { recursive: true, force: true });
}
