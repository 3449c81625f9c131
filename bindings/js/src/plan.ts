// Upload planning on its own: what an upload of a given size would do (one
// request, how many chunks, or a stream) and whether the limits refuse it,
// decided by the core before anything is read or sent. A gateway or a form
// can answer "too large" without opening a session.

import type {
  PlanConfig as WitPlanConfig,
  PlanError as WitPlanError,
  UploadPlan as WitUploadPlan,
} from '../component/interfaces/fastio-core-uploads.js';
import { loadCore } from './core.js';
import { PlanError, UsageError, payloadOf } from './errors.js';
import { toU64 } from './u64.js';

/**
 * The numbers an upload is planned with. `upload()` sets the same ones through
 * its options `singleRequestMax`, `chunkSize`, `maxChunks`, `maxFileSize` and
 * `parallel` (which is `maxInFlight` here).
 */
export interface PlanConfig {
  /** Files up to this many bytes go in a single request. */
  singleRequestMax: number;
  /** Bytes per chunk, all but the last. */
  chunkSize: number;
  /** Refuse files needing more chunks than this (the core's ceiling of 2^20 applies regardless). */
  maxChunks?: number;
  /** Refuse files larger than this. */
  maxFileSize?: number;
  /** Chunk requests in flight at once. */
  maxInFlight: number;
}

const CONFIG_KEYS = ['singleRequestMax', 'chunkSize', 'maxChunks', 'maxFileSize', 'maxInFlight'];

/** What an upload will do. */
export type UploadPlan =
  | { kind: 'single'; size: number }
  | { kind: 'chunked'; size: number; chunkSize: number; chunkCount: number; maxInFlight: number }
  | { kind: 'stream'; maxSize: number | undefined };

function count(name: string, v: number | undefined): bigint | undefined {
  return v === undefined ? undefined : toU64(v, name);
}

function toWit(c: PlanConfig): WitPlanConfig {
  const inFlight = c.maxInFlight;
  if (!Number.isInteger(inFlight) || inFlight < 0 || inFlight > 0xffff_ffff) {
    throw new UsageError('bad-argument', 'maxInFlight must be an integer from 0 to 2^32 - 1');
  }
  return {
    singleRequestMax: toU64(c.singleRequestMax, 'singleRequestMax'),
    chunkSize: toU64(c.chunkSize, 'chunkSize'),
    maxChunks: count('maxChunks', c.maxChunks),
    maxFileSize: count('maxFileSize', c.maxFileSize),
    maxInFlight: inFlight,
  };
}

function fromWit(c: WitPlanConfig): PlanConfig {
  return {
    singleRequestMax: Number(c.singleRequestMax),
    chunkSize: Number(c.chunkSize),
    maxChunks: c.maxChunks === undefined ? undefined : Number(c.maxChunks),
    maxFileSize: c.maxFileSize === undefined ? undefined : Number(c.maxFileSize),
    maxInFlight: c.maxInFlight,
  };
}

function planFromWit(p: WitUploadPlan): UploadPlan {
  switch (p.tag) {
    case 'single':
      return { kind: 'single', size: Number(p.val) };
    case 'chunked':
      return {
        kind: 'chunked',
        size: Number(p.val.size),
        chunkSize: Number(p.val.chunkSize),
        chunkCount: Number(p.val.chunkCount),
        maxInFlight: p.val.maxInFlight,
      };
    default:
      return { kind: 'stream', maxSize: p.val === undefined ? undefined : Number(p.val) };
  }
}

/** The configuration an upload uses when its options set nothing (the core's defaults). */
export async function defaultPlanConfig(): Promise<PlanConfig> {
  return fromWit((await loadCore()).uploads.defaultPlanConfig());
}

/**
 * The defaults with `overrides` applied; an override of `undefined` keeps the
 * default. A key that is not a PlanConfig field (such as `upload()`'s
 * `parallel`) is a UsageError rather than silently ignored.
 */
async function withDefaults(overrides: Partial<PlanConfig> | undefined): Promise<PlanConfig> {
  const base = await defaultPlanConfig();
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!CONFIG_KEYS.includes(k)) {
      throw new UsageError('bad-argument', `${k} is not a plan setting (${CONFIG_KEYS.join(', ')})`);
    }
    if (v !== undefined) (base as unknown as Record<string, number>)[k] = v;
  }
  return base;
}

export interface PlanOptions {
  /** For a stream (`size` undefined): the most bytes it may have, announced to the server. */
  streamMaxSize?: number;
  /** Overrides of the default configuration. */
  config?: Partial<PlanConfig>;
}

/**
 * Plans an upload of `size` bytes (or of a stream when `size` is undefined)
 * exactly as `upload()` would, without reading or sending anything. Rejects
 * with a `PlanError` (`too_large`, `too_many_chunks`, `invalid_config`) when
 * the limits refuse it.
 */
export async function planUpload(size: number | undefined, options: PlanOptions = {}): Promise<UploadPlan> {
  const core = await loadCore();
  const config = toWit(await withDefaults(options.config));
  const wantSize = count('size', size);
  const streamMax = count('streamMaxSize', options.streamMaxSize);
  try {
    return planFromWit(core.uploads.planUpload(wantSize, streamMax, config));
  } catch (e) {
    // jco throws a result's error as a ComponentError carrying the WIT value;
    // anything else (a trap) is rethrown as it is.
    throw new PlanError(payloadOf<WitPlanError>(e));
  }
}

/**
 * Narrows a plan configuration to a `GET /upload/limits/` answer (its body
 * text, or the parsed JSON): a stated chunk size replaces the configured one
 * within the stated bounds, and stated maximums only ever lower the
 * configured ones. An answer that is not a JSON object sets nothing.
 */
export async function applyLimits(limits: string | unknown, config?: Partial<PlanConfig>): Promise<PlanConfig> {
  const core = await loadCore();
  let body: string;
  try {
    body = typeof limits === 'string' ? limits : (JSON.stringify(limits) ?? 'null');
  } catch {
    // A BigInt or a cycle: not an answer the server could have sent.
    throw new UsageError('bad-argument', 'limits must be the response text or plain JSON');
  }
  return fromWit(core.uploads.applyLimits(body, toWit(await withDefaults(config))));
}
