// Starts the local Fast.io-compatible server (hosts/devserver) for end-to-end
// tests: a fresh data directory, a fixed API key, an ephemeral port. It
// prints its base URL and key on two lines once it serves.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const API_KEY = 'js-e2e-key';

function binary() {
  if (process.env.FASTIO_DEVSERVER) return process.env.FASTIO_DEVSERVER;
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/fastio-core/target');
  return join(target, 'release/fastio-devserver');
}

export async function startDevserver(extraArgs = []) {
  const data = await mkdtemp(join(tmpdir(), 'fastio-js-'));
  const child = spawn(binary(), ['--addr', '127.0.0.1:0', '--data', data, '--api-key', API_KEY, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    const got = [];
    lines.on('line', (l) => {
      got.push(l.trim());
      if (got.length === 2) resolve(got);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fastio-devserver exited (${code}) before it was ready`)));
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('fastio-devserver was not ready within 20 s')), 20_000);
  });
  let baseUrl;
  try {
    [baseUrl] = await Promise.race([ready, timeout]);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(data, { recursive: true, force: true });
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const origin = new URL(baseUrl).origin;
  return {
    baseUrl,
    apiKey: API_KEY,
    origin,
    /** Sets the server's fault injection (hosts/devserver/README.md). */
    async faults(config) {
      const r = await fetch(`${origin}/_dev/faults`, {
        method: config ? 'POST' : 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: config ? JSON.stringify(config) : undefined,
      });
      if (!r.ok) throw new Error(`setting faults: ${r.status}`);
    },
    /** The faults injected since the configuration was set. */
    async injected() {
      const r = await fetch(`${origin}/_dev/faults`);
      if (!r.ok) throw new Error(`reading faults: ${r.status}`);
      return (await r.json()).injected ?? [];
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(data, { recursive: true, force: true });
    },
  };
}

/** A workspace to upload into, created through the package's own calls. */
export async function createWorkspace(client, name) {
  const orgs = await client.call({ orgs: { op: 'list' } });
  const org = orgs.orgs[0].id;
  const ws = await client.call({ orgs: { op: 'create_workspace', org_id: org, name, folder_name: name.toLowerCase() } });
  return String(ws.id ?? ws.workspace.id);
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function bytes(n, seed = 1) {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function readAll(stream) {
  const parts = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}
