// WIT u64 values are BigInts in JS. Sizes and times the package hands out are
// numbers: exact up to 2^53 bytes (8 PiB), far past any file Fast.io stores.

import { UsageError } from './errors.js';

/** A non-negative integer argument as a u64. */
export function toU64(n: number | bigint, what: string): bigint {
  if (typeof n === 'bigint') {
    if (n < 0n || n > 0xffff_ffff_ffff_ffffn) throw new UsageError('bad-argument', `${what} is out of range`);
    return n;
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new UsageError('bad-argument', `${what} must be a non-negative integer`);
  }
  return BigInt(n);
}

/** A u64 from the core as a number. */
export function toNumber(b: bigint): number {
  return Number(b);
}

/** The same for optional values. */
export function toNumberOpt(b: bigint | undefined): number | undefined {
  return b === undefined ? undefined : Number(b);
}
