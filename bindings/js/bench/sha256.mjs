// SHA-256 throughput through the package (the core's hasher inside the
// component, fed 1 MiB pieces) against node's crypto.createHash('sha256') on
// the same bytes in the same run.
//
//   node bench/sha256.mjs [MiB per pass, default 64]

import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Digest, loadCore } from 'fastio-core';
import { compare, machine } from './common.mjs';

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 64);
const piece = new Uint8Array(MiB).map((_, i) => (i * 2654435761) >>> 24);

const core = await loadCore();

function viaPackage() {
  const d = Digest.createWith(core, 'sha256');
  for (let i = 0; i < total; i++) d.update(piece);
  const hex = d.hex();
  d.dispose();
  return hex;
}

function viaNode() {
  const h = createHash('sha256');
  for (let i = 0; i < total; i++) h.update(piece);
  return h.digest('hex');
}

assert.equal(viaPackage(), viaNode(), 'both compute the same digest');
const r = await compare(
  [
    ['fastio-core Digest (wasm)', viaPackage],
    ["node crypto.createHash('sha256')", viaNode],
  ],
  { unit: total, rounds: 5, ms: 2000 },
);
const [pkg, node] = Object.values(r);
console.log(`SHA-256, ${total} MiB per pass in 1 MiB pieces (${machine()})`);
for (const [name, mibs] of Object.entries(r)) console.log(`  ${name.padEnd(36)} ${(mibs * 1.048576).toFixed(0).padStart(6)} MB/s`);
console.log(`  ratio package / node: ${(pkg / node).toFixed(3)}`);
