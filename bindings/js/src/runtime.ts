// Which runtime the package runs in, where that changes how bytes move.

/** True under Node (file paths, streamed request bodies over HTTP/1.1). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}
