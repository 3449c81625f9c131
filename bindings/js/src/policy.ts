// Upload policy for gateways: a size limit and allowed file types recognised
// by magic bytes as the first bytes stream past (never by the file name or
// the client's content-type), and short-lived signed upload grants. Every
// decision is the core's; this module converts types and raises typed errors.

import type {
  BodyWatch as WitBodyWatch,
  FileKind as WitFileKind,
  Grant as WitGrant,
  GrantError as WitGrantError,
  GrantKey as WitGrantKey,
  GrantKeyring as WitGrantKeyring,
  PolicyError as WitPolicyError,
  Signature as WitSignature,
  Sniffer as WitSniffer,
  UploadPolicy as WitUploadPolicy,
} from '../component/interfaces/fastio-core-policy.js';
import { dispose, loadCore, type Core } from './core.js';
import { GrantError, PolicyError, UsageError, payloadOf } from './errors.js';
import { toNumber, toU64 } from './u64.js';

/**
 * A file kind by its stable name: a built-in kind or the name of a kind an
 * added signature recognises. Names given to the package are read as the
 * core's `kind-from-name` reads them (case ignored, `jpg` is `jpeg`, `txt` is
 * `text`…).
 */
export type FileKind =
  | 'pdf'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'webp'
  | 'mp4'
  | 'mov'
  | 'zip'
  | 'docx'
  | 'xlsx'
  | 'pptx'
  | 'text'
  | (string & {});

/** A signature the caller adds: `magic` at byte `offset` means `kind`. Checked before the built-in ones. */
export interface FileSignature {
  offset: number;
  magic: Uint8Array;
  kind: FileKind;
}

/** What an upload may be. */
export interface UploadPolicyOptions {
  /** The largest file in bytes; omitted: no limit. */
  maxSize?: number | bigint;
  /** The kinds allowed; omitted or empty: every kind, unrecognised files included. */
  allowed?: readonly FileKind[];
  /** Extra signatures for sniffing. */
  signatures?: readonly FileSignature[];
}

/** What the first bytes of a file say. */
export type SniffResult =
  | { status: 'known'; kind: FileKind }
  /** Not enough bytes yet to decide: sniff again with more. */
  | { status: 'need_more' }
  /** No known signature, and not text. */
  | { status: 'unknown' };

/** What an upload grant allows. Times are unix seconds. */
export interface Grant {
  workspace: string;
  /** The folder id, or `root`. */
  folder: string;
  /** The largest upload allowed, bytes. */
  maxSize: number;
  expires: number;
  issued: number;
  /** A value from the issuer that makes each grant distinct. */
  nonce: string;
}

type Policy = Core['policy'];

function bytesOf(b: unknown, what: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new UsageError('bad-argument', `${what} must be a Uint8Array`);
  return b;
}

function witKind(p: Policy, k: unknown): WitFileKind {
  if (typeof k !== 'string' || k.trim() === '') throw new UsageError('bad-argument', 'a file kind is a non-empty name');
  return p.kindFromName(k);
}

function kindOf(p: Policy, k: WitFileKind): FileKind {
  return p.kindName(k);
}

function witSignatures(p: Policy, list: readonly FileSignature[] | undefined): WitSignature[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new UsageError('bad-argument', 'signatures must be an array');
  return list.map((s: FileSignature) => {
    if (s === null || typeof s !== 'object') throw new UsageError('bad-argument', 'a signature is { offset, magic, kind }');
    const offset = toU64(s.offset, 'signature offset');
    if (offset > 0xffff_ffffn) throw new UsageError('bad-argument', 'signature offset is out of range');
    const magic = bytesOf(s.magic, 'signature magic');
    if (magic.length === 0) throw new UsageError('bad-argument', 'signature magic must not be empty');
    return { offset: Number(offset), magic, kind: witKind(p, s.kind) };
  });
}

function witPolicy(p: Policy, o: UploadPolicyOptions): WitUploadPolicy {
  if (o === null || typeof o !== 'object') throw new UsageError('bad-argument', 'policy options are required');
  if (o.allowed !== undefined && !Array.isArray(o.allowed)) {
    throw new UsageError('bad-argument', 'allowed must be an array of file kinds');
  }
  return {
    maxSize: o.maxSize === undefined ? undefined : toU64(o.maxSize, 'maxSize'),
    allowed: (o.allowed ?? []).map((k: FileKind) => witKind(p, k)),
  };
}

function policyError(p: Policy, e: unknown): PolicyError {
  const w = payloadOf<WitPolicyError>(e);
  return new PolicyError(w, p.describe(w), p.httpStatus(w));
}

/** Sizes, unlike times, may exceed 2^53 in a declared length; a bigint keeps them exact. */
function lengthOpt(n: number | bigint | undefined, what: string): bigint | undefined {
  return n === undefined ? undefined : toU64(n, what);
}

/** An upload policy: size limit, allowed kinds and extra signatures. */
export class UploadPolicy {
  readonly #core: Core;
  readonly #policy: WitUploadPolicy;
  readonly #signatures: WitSignature[];

  private constructor(core: Core, policy: WitUploadPolicy, signatures: WitSignature[]) {
    this.#core = core;
    this.#policy = policy;
    this.#signatures = signatures;
  }

  /** A policy; bad options throw `UsageError`. */
  static async create(options: UploadPolicyOptions): Promise<UploadPolicy> {
    return UploadPolicy.createWith(await loadCore(), options);
  }

  /** The same with a loaded core, synchronously. */
  static createWith(core: Core, options: UploadPolicyOptions): UploadPolicy {
    const p = core.policy;
    return new UploadPolicy(core, witPolicy(p, options), witSignatures(p, options?.signatures));
  }

  /** The size limit in bytes, if any. */
  get maxSize(): number | undefined {
    return this.#policy.maxSize === undefined ? undefined : toNumber(this.#policy.maxSize);
  }

  /** The allowed kinds' names (empty: every kind). */
  get allowed(): FileKind[] {
    return this.#policy.allowed.map((k) => kindOf(this.#core.policy, k));
  }

  /** This policy with the smaller of its limit and `max` (a grant's limit and the gateway's). */
  withMaxSize(max: number | bigint | undefined): UploadPolicy {
    const merged = this.#core.policy.withMaxSize(this.#policy, lengthOpt(max, 'max'));
    return new UploadPolicy(this.#core, merged, this.#signatures);
  }

  /**
   * Checks a declared length (`content-length`) before the body is read;
   * `undefined` is an unknown length, checked as the body streams. Throws
   * `PolicyError` (`too_large`, status 413).
   */
  checkSize(declared: number | bigint | undefined): void {
    try {
      this.#core.policy.checkDeclared(this.#policy, lengthOpt(declared, 'declared'));
    } catch (e) {
      throw policyError(this.#core.policy, e);
    }
  }

  /**
   * Checks a kind (from `sniff` or a body watch) against the allowed list;
   * `undefined` is an unrecognised file. Throws `PolicyError`
   * (`type_not_allowed`, status 415).
   */
  checkType(kind: FileKind | undefined): void {
    const p = this.#core.policy;
    const k = kind === undefined ? undefined : witKind(p, kind);
    try {
      p.checkKind(this.#policy, k);
    } catch (e) {
      throw policyError(p, e);
    }
  }

  /**
   * Starts watching a body of `declared` length (`undefined` when unknown):
   * throws `PolicyError` at once when the declared length is over the limit.
   */
  watch(declared?: number | bigint): BodyWatch {
    const p = this.#core.policy;
    const len = lengthOpt(declared, 'declared');
    let w: WitBodyWatch;
    try {
      w = p.BodyWatch.start(this.#policy, len, this.#signatures);
    } catch (e) {
      throw policyError(p, e);
    }
    return new BodyWatch(p, w);
  }

  /**
   * Passes `body` through unchanged while watching it: the stream errors
   * with `PolicyError` as soon as the size or the first bytes break the
   * policy, and at its end if it is shorter than `declared`.
   */
  guard(body: ReadableStream<Uint8Array>, declared?: number | bigint): ReadableStream<Uint8Array> {
    const watch = this.watch(declared);
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(piece, controller) {
          watch.feed(piece);
          controller.enqueue(piece);
        },
        flush() {
          try {
            watch.finish();
          } finally {
            watch.dispose();
          }
        },
      }),
    );
  }
}

/** A body being watched: feed every piece in order, then `finish`. */
export class BodyWatch {
  readonly #p: Policy;
  #w: WitBodyWatch | undefined;

  /** @internal Made by `UploadPolicy.watch`. */
  constructor(p: Policy, w: WitBodyWatch) {
    this.#p = p;
    this.#w = w;
  }

  private get w(): WitBodyWatch {
    if (!this.#w) throw new UsageError('disposed', 'this body watch was disposed');
    return this.#w;
  }

  /** Takes the next piece; `PolicyError` means: stop reading and refuse with `error.status`. */
  feed(piece: Uint8Array): void {
    const w = this.w;
    const bytes = bytesOf(piece, 'a body piece');
    try {
      w.feed(bytes);
    } catch (e) {
      throw policyError(this.#p, e);
    }
  }

  /** The kind once decided; `undefined` before, or when unrecognised. */
  get kind(): FileKind | undefined {
    const k = this.w.kind();
    return k === undefined ? undefined : kindOf(this.#p, k);
  }

  /** Bytes seen so far. */
  get seen(): number {
    return toNumber(this.w.seen());
  }

  /**
   * The body ended: decides the kind if still open and checks the declared
   * length was met. Returns the kind (`undefined`: unrecognised).
   */
  finish(): FileKind | undefined {
    const w = this.w;
    let k: WitFileKind | undefined;
    try {
      k = w.finish();
    } catch (e) {
      throw policyError(this.#p, e);
    }
    return k === undefined ? undefined : kindOf(this.#p, k);
  }

  /** Frees the watch now rather than at garbage collection. */
  dispose(): void {
    dispose(this.#w);
    this.#w = undefined;
  }
}

/** Recognises file kinds from their first bytes. */
export class Sniffer {
  readonly #p: Policy;
  #s: WitSniffer | undefined;

  private constructor(p: Policy, s: WitSniffer) {
    this.#p = p;
    this.#s = s;
  }

  /** A sniffer with the built-in signatures, after `extra` ones. */
  static async create(extra?: readonly FileSignature[]): Promise<Sniffer> {
    return Sniffer.createWith(await loadCore(), extra);
  }

  /** The same with a loaded core, synchronously. */
  static createWith(core: Core, extra?: readonly FileSignature[]): Sniffer {
    const p = core.policy;
    return new Sniffer(p, new p.Sniffer(witSignatures(p, extra)));
  }

  /** How many leading bytes sniffing looks at, at most. */
  get window(): number {
    return this.#p.sniffWindow();
  }

  /**
   * Sniffs `head`, the first bytes of a file. `complete` says the file has
   * no more bytes than these, so the answer is never `need_more`.
   */
  sniff(head: Uint8Array, complete = false): SniffResult {
    if (!this.#s) throw new UsageError('disposed', 'this sniffer was disposed');
    if (typeof complete !== 'boolean') throw new UsageError('bad-argument', 'complete must be a boolean');
    const r = this.#s.sniff(bytesOf(head, 'head'), complete);
    switch (r.tag) {
      case 'known':
        return { status: 'known', kind: kindOf(this.#p, r.val) };
      case 'need-more':
        return { status: 'need_more' };
      default:
        return { status: 'unknown' };
    }
  }

  /** Frees the sniffer now rather than at garbage collection. */
  dispose(): void {
    dispose(this.#s);
    this.#s = undefined;
  }
}

/** Sniffs the first bytes of a file with the built-in signatures. */
export async function sniff(head: Uint8Array, options: { complete?: boolean; signatures?: readonly FileSignature[] } = {}): Promise<SniffResult> {
  const s = await Sniffer.create(options.signatures);
  try {
    return s.sniff(head, options.complete ?? false);
  } finally {
    s.dispose();
  }
}

/** A kind's usual MIME type (`application/octet-stream` for a custom kind). */
export async function kindMime(kind: FileKind): Promise<string> {
  const p = (await loadCore()).policy;
  return p.kindMime(witKind(p, kind));
}

function grantError(e: unknown): GrantError {
  return new GrantError(payloadOf<WitGrantError>(e));
}

function secretOf(s: unknown): string {
  // The value itself is never echoed.
  if (typeof s !== 'string') throw new UsageError('bad-argument', 'a grant key secret must be a string');
  return s;
}

function witGrant(g: Grant): WitGrant {
  if (g === null || typeof g !== 'object') throw new UsageError('bad-argument', 'a grant is required');
  for (const k of ['workspace', 'folder', 'nonce'] as const) {
    if (typeof g[k] !== 'string') throw new UsageError('bad-argument', `grant ${k} must be a string`);
  }
  return {
    workspace: g.workspace,
    folder: g.folder,
    maxSize: toU64(g.maxSize, 'grant maxSize'),
    expires: toU64(g.expires, 'grant expires'),
    issued: toU64(g.issued, 'grant issued'),
    nonce: g.nonce,
  };
}

function grantOf(g: WitGrant): Grant {
  return {
    workspace: g.workspace,
    folder: g.folder,
    maxSize: toNumber(g.maxSize),
    expires: toNumber(g.expires),
    issued: toNumber(g.issued),
    nonce: g.nonce,
  };
}

/** A grant signing key. The secret stays inside the component. */
export class GrantKey {
  #k: WitGrantKey | undefined;

  private constructor(k: WitGrantKey) {
    this.#k = k;
  }

  /** A key from a secret; an empty one throws `GrantError` (`empty_key`). */
  static async create(secret: string): Promise<GrantKey> {
    return GrantKey.createWith(await loadCore(), secret);
  }

  /** The same with a loaded core, synchronously. */
  static createWith(core: Core, secret: string): GrantKey {
    const s = secretOf(secret);
    try {
      return new GrantKey(core.policy.GrantKey.create(s));
    } catch (e) {
      throw grantError(e);
    }
  }

  private get k(): WitGrantKey {
    if (!this.#k) throw new UsageError('disposed', 'this grant key was disposed');
    return this.#k;
  }

  /** The key id carried in the grants it issues. */
  get kid(): string {
    return this.k.kid();
  }

  /** Issues a grant token (`fg1.<kid>.<payload>.<mac>`); `issued` and `expires` are the caller's unix seconds. */
  issue(grant: Grant): string {
    const g = witGrant(grant);
    try {
      return this.k.issue(g);
    } catch (e) {
      throw grantError(e);
    }
  }

  /** Frees the key now rather than at garbage collection. */
  dispose(): void {
    dispose(this.#k);
    this.#k = undefined;
  }
}

export interface GrantKeyringOptions {
  /** How far a grant's issue time may be ahead of `now`, seconds (default 60). */
  maxSkewS?: number;
}

/** The keys a gateway accepts (several while rotating). */
export class GrantKeyring {
  #r: WitGrantKeyring | undefined;

  private constructor(r: WitGrantKeyring) {
    this.#r = r;
  }

  /** A keyring of `secrets`; an empty secret throws `GrantError` (`empty_key`). */
  static async create(secrets: string | readonly string[], options: GrantKeyringOptions = {}): Promise<GrantKeyring> {
    return GrantKeyring.createWith(await loadCore(), secrets, options);
  }

  /** The same with a loaded core, synchronously. */
  static createWith(core: Core, secrets: string | readonly string[], options: GrantKeyringOptions = {}): GrantKeyring {
    const list = typeof secrets === 'string' ? [secrets] : Array.isArray(secrets) ? secrets.map(secretOf) : undefined;
    if (!list) throw new UsageError('bad-argument', 'secrets must be a string or an array of strings');
    const skew = options.maxSkewS === undefined ? undefined : toU64(options.maxSkewS, 'maxSkewS');
    try {
      return new GrantKeyring(core.policy.GrantKeyring.create(list, skew));
    } catch (e) {
      throw grantError(e);
    }
  }

  /**
   * Checks `token` at `now` (unix seconds, the caller's clock) and returns
   * what it allows. Throws `GrantError`: `malformed`, `wrong_key`, `tampered`,
   * `expired` or `not_yet_valid`.
   */
  verify(token: string, now: number): Grant {
    if (!this.#r) throw new UsageError('disposed', 'this grant keyring was disposed');
    if (typeof token !== 'string') throw new UsageError('bad-argument', 'a grant token is a string');
    if (now === undefined) throw new UsageError('bad-argument', 'now is required: the current unix time in seconds');
    const t = toU64(now, 'now');
    try {
      return grantOf(this.#r.verify(token, t));
    } catch (e) {
      throw grantError(e);
    }
  }

  /** Frees the keys now rather than at garbage collection. */
  dispose(): void {
    dispose(this.#r);
    this.#r = undefined;
  }
}
