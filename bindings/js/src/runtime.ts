// Which runtime the package runs in, where that changes how bytes move.

import { UsageError } from './errors.js';

/** True under Node (file paths, streamed request bodies over HTTP/1.1). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * The oldest Node the package runs on: streamed request bodies (`duplex`),
 * `Blob.stream()` and the Web Streams it drives need Node 20.
 */
export const MIN_NODE_MAJOR = 20;

/**
 * Refuses a Node older than the package supports, naming what is supported.
 * `version` is `process.versions.node` (undefined outside Node: nothing to check).
 */
export function checkNodeVersion(version: string | undefined): void {
  if (version === undefined) return;
  const major = Number.parseInt(version.split('.')[0] ?? '', 10);
  if (!(major >= MIN_NODE_MAJOR)) {
    throw new UsageError(
      'unsupported-runtime',
      `fastio-core needs Node ${MIN_NODE_MAJOR} or later (or Deno 2, Cloudflare Workers, a browser); this is Node ${version}`,
    );
  }
}
