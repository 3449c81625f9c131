// One upload through the package, for the end-to-end benchmark
// (hosts/wasmtime/bench.sh e2e): the file by path, the core's defaults.
//
//   node bench/upload.mjs API_KEY BASE_URL FILE WORKSPACE NAME

import { createClient } from 'fastio-core';

const [apiKey, baseUrl, file, workspace, name] = process.argv.slice(2);
const client = createClient({ apiKey, baseUrl });
const done = await client.upload(file, { workspace, name });
if (!done.nodeId) throw new Error(`no node stored: ${JSON.stringify(done)}`);
