// The first run after `npm install fastio-core`: upload a file, download it
// back verified, and verify a signed webhook delivery.
//
//   FASTIO_API_KEY=... node quickstart.mjs WORKSPACE_ID [FILE]
//
// FASTIO_API_BASE names a server other than the real service. Without FILE it
// uploads 9 MB it generates (three chunks).

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, signWebhook, verifyWebhook } from 'fastio-core';

const [workspace, file] = process.argv.slice(2);
if (!workspace) {
  console.error('usage: FASTIO_API_KEY=... node quickstart.mjs WORKSPACE_ID [FILE]');
  process.exit(2);
}
const fastio = createClient({ apiKey: process.env.FASTIO_API_KEY, baseUrl: process.env.FASTIO_API_BASE });
const tmp = await mkdtemp(join(tmpdir(), 'fastio-quickstart-'));
try {
  const source = file ?? join(tmp, 'quickstart.bin');
  if (!file) await writeFile(source, randomBytes(9_000_000));
  const up = await fastio.upload(source, { workspace, verifyStored: true });
  console.log(`uploaded ${up.size} bytes as node ${up.nodeId}, crc32c ${up.crc32c}, stored check: ${up.stored.check}`);

  const download = fastio.download(up.nodeId, { workspace, verify: true });
  const parts = [];
  for await (const part of download) parts.push(part);
  const result = await download.result;
  if (!Buffer.concat(parts).equals(await readFile(source))) throw new Error('the downloaded copy differs');
  console.log(`downloaded ${result.size} bytes, verified against the server's ${result.checked}`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}

// A delivery as Fast.io signs it, verified the way a receiver does.
const secret = 'quickstart-secret';
const body = '{"event":"workspace_storage_file_added"}';
const headers = await signWebhook('fastio', secret, body, { timestamp: Math.floor(Date.now() / 1000) });
const request = new Request('http://127.0.0.1/hook', { method: 'POST', headers, body });
const delivery = await verifyWebhook(request, { scheme: 'fastio', secrets: [secret], tolerance: 300 });
console.log(`webhook verified (${delivery.scheme})`);
