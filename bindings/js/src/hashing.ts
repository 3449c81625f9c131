// Digests through the core: one-shot, incremental (with a state that survives
// a restart) and verification of streamed bytes against a known digest.

import type { Digest as WitDigest, HashError as WitHashError, Verifier } from '../component/interfaces/fastio-core-hashing.js';
import type { HashAlgo } from '../component/interfaces/fastio-core-uploads.js';
import { dispose, loadCore, type Core } from './core.js';
import { HashError, UsageError, payloadOf } from './errors.js';
import { toNumber } from './u64.js';

export type { HashAlgo };

const ALGOS: readonly string[] = ['md5', 'sha1', 'sha256', 'sha384', 'crc32c'];

/** An algorithm name checked against the ones the core knows. */
export function algo(a: unknown): HashAlgo {
  if (typeof a !== 'string' || !ALGOS.includes(a)) {
    throw new UsageError('bad-argument', `the algorithm must be one of ${ALGOS.join(', ')}`);
  }
  return a as HashAlgo;
}

function bytes(d: unknown): Uint8Array {
  if (!(d instanceof Uint8Array)) throw new UsageError('bad-argument', 'data must be a Uint8Array');
  return d;
}

/** One-shot digest, lowercase hex (CRC32C as 8 digits, big-endian). */
export async function hash(a: HashAlgo, data: Uint8Array): Promise<string> {
  const core = await loadCore();
  return core.hashing.hash(algo(a), bytes(data));
}

/** An algorithm name as the server writes it (`sha256`, `MD5`…), checked by the core. */
export async function parseAlgo(name: string): Promise<HashAlgo> {
  const core = await loadCore();
  try {
    return core.hashing.parseAlgo(name);
  } catch (e) {
    throw new HashError(payloadOf<WitHashError>(e));
  }
}

/** An incremental digest. */
export class Digest {
  #d: WitDigest;
  private constructor(d: WitDigest) {
    this.#d = d;
  }
  static async create(a: HashAlgo): Promise<Digest> {
    return Digest.createWith(await loadCore(), a);
  }
  static createWith(core: Core, a: HashAlgo): Digest {
    return new Digest(new core.hashing.Digest(algo(a)));
  }
  /** Continues from `state()` of an earlier digest. */
  static async fromState(state: string): Promise<Digest> {
    const core = await loadCore();
    try {
      return new Digest(core.hashing.Digest.fromState(state));
    } catch (e) {
      throw new HashError(payloadOf<WitHashError>(e));
    }
  }
  update(data: Uint8Array): this {
    this.#d.update(bytes(data));
    return this;
  }
  get bytesProcessed(): number {
    return toNumber(this.#d.bytesProcessed());
  }
  /** The digest so far, lowercase hex; more data may follow. */
  hex(): string {
    return this.#d.hex();
  }
  /** The state as base64, to continue after a restart. */
  state(): string {
    return this.#d.state();
  }
  dispose(): void {
    dispose(this.#d);
  }
}

/** Checks bytes fed in order against an expected digest. */
export class DigestVerifier {
  #v: Verifier;
  #finished = false;
  private constructor(v: Verifier) {
    this.#v = v;
  }
  static async create(expectedHex: string, a: HashAlgo): Promise<DigestVerifier> {
    const core = await loadCore();
    return new DigestVerifier(new core.hashing.Verifier(String(expectedHex), algo(a)));
  }
  update(data: Uint8Array): this {
    if (this.#finished) throw new UsageError('finished', 'this verifier has finished');
    this.#v.update(bytes(data));
    return this;
  }
  /** The SHA-256 of everything fed when it matched; throws `HashError` (kind `mismatch`…) when not. */
  finish(): string {
    if (this.#finished) throw new UsageError('finished', 'this verifier has finished');
    this.#finished = true;
    try {
      return this.#v.finish();
    } catch (e) {
      throw new HashError(payloadOf<WitHashError>(e));
    } finally {
      dispose(this.#v);
    }
  }
}
