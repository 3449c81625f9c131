//! CRC32C combination: the CRC of a concatenation from the CRCs of its parts.
//!
//! Chunks hashed out of order, or before and after a resume, still give the whole-file CRC32C
//! without reading anything again.

use std::collections::BTreeMap;

use super::HashError;

/// CRC32C of `data` continued from `crc` (the CRC of what came before; 0 to
/// start): the hardware instruction where the CPU has one (`crc32c`), and on
/// WebAssembly, which has none, a slice-by-16 table, about twice as fast
/// there as `crc32c`'s own software path.
#[inline]
pub fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "wasm32")]
    {
        crc32c_append_table(crc, data)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crc32c::crc32c_append(crc, data)
    }
}

/// The table-driven CRC32C, compiled everywhere so native tests check it
/// against the hardware one.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn crc32c_append_table(crc: u32, data: &[u8]) -> u32 {
    static CASTAGNOLI: crc::Crc<u32, crc::Table<16>> =
        crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);
    // The crate keeps a reflected algorithm's register reflected and
    // reflects the initial value it is given: undo the final xor and
    // pre-reflect, so the register continues exactly where `crc` ended.
    let mut d = CASTAGNOLI.digest_with_initial((crc ^ 0xFFFF_FFFF).reverse_bits());
    d.update(data);
    d.finalize()
}

/// The CRC32C of `A ‖ B` from `crc1 = crc32c(A)`, `crc2 = crc32c(B)` and `len2 = |B|`.
pub fn crc32c_combine(crc1: u32, crc2: u32, len2: u64) -> u32 {
    match usize::try_from(len2) {
        Ok(len) => crc32c::crc32c_combine(crc1, crc2, len),
        Err(_) => {
            // Only on targets whose usize is narrower than the length (wasm32 with a part over
            // 4 GiB). Combining is linear: shifting crc1 past len2 zero bytes is
            // combine(crc1, 0, len2), and that shift can be done in pieces.
            let mut shifted = crc1;
            let mut left = len2;
            while left > 0 {
                let step = left.min(u64::from(u32::MAX));
                // `step` fits in u32, and usize is at least 32 bits on every supported target.
                let step_usize = usize::try_from(step).unwrap_or(usize::MAX);
                shifted = crc32c::crc32c_combine(shifted, 0, step_usize);
                left -= step;
            }
            shifted ^ crc2
        }
    }
}

/// The CRC32C of consecutive parts given as `(crc, len)` in order.
pub fn crc32c_concat(parts: impl IntoIterator<Item = (u32, u64)>) -> u32 {
    parts
        .into_iter()
        .fold(0, |acc, (crc, len)| crc32c_combine(acc, crc, len))
}

/// Collects part CRCs in any order and gives the whole CRC32C once they cover the file.
///
/// Keyed by offset, so recording the same part again (a chunk re-sent after a retry) replaces
/// it; a part that overlaps a different one is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Crc32cParts {
    parts: BTreeMap<u64, (u64, u32)>,
}

impl Crc32cParts {
    /// No parts yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the CRC32C `crc` of `len` bytes at file offset `offset`.
    ///
    /// # Errors
    /// [`HashError::Overlap`] when the range overlaps a part recorded at another offset or
    /// with another length, or ends past `u64::MAX`.
    pub fn insert(&mut self, offset: u64, len: u64, crc: u32) -> Result<(), HashError> {
        let overlap = HashError::Overlap { offset, len };
        let end = offset.checked_add(len).ok_or(overlap.clone())?;
        if let Some(&(old_len, _)) = self.parts.get(&offset) {
            if old_len == len {
                self.parts.insert(offset, (len, crc));
                return Ok(());
            }
            return Err(overlap);
        }
        if let Some((&prev_off, &(prev_len, _))) = self.parts.range(..offset).next_back()
            && prev_off + prev_len > offset
        {
            return Err(overlap);
        }
        if let Some((&next_off, _)) = self.parts.range(offset..).next()
            && next_off < end
        {
            return Err(overlap);
        }
        self.parts.insert(offset, (len, crc));
        Ok(())
    }

    /// Forgets the part at `offset` (a chunk the server no longer holds); true if there was one.
    pub fn remove(&mut self, offset: u64) -> bool {
        self.parts.remove(&offset).is_some()
    }

    /// Number of parts recorded.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True when no part is recorded.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Length of the prefix `[0, n)` covered without a gap.
    pub fn contiguous_len(&self) -> u64 {
        let mut end = 0u64;
        for (&off, &(len, _)) in &self.parts {
            if off != end {
                break;
            }
            end += len;
        }
        end
    }

    /// The CRC32C of `[0, total_len)` when the parts cover exactly that range, else `None`.
    ///
    /// Chunks share one length, so the shift operator for that length is
    /// built once and each further part costs 32 xors instead of a full
    /// combine.
    pub fn combined(&self, total_len: u64) -> Option<u32> {
        let mut end = 0u64;
        let mut crc = 0u32;
        let mut shift: Option<ZeroShift> = None;
        for (&off, &(len, part)) in &self.parts {
            if off != end {
                return None;
            }
            let op = match shift {
                Some(s) if s.len == len => s,
                _ => ZeroShift::new(len),
            };
            crc = op.apply(crc) ^ part;
            shift = Some(op);
            end += len;
        }
        (end == total_len).then_some(crc)
    }
}

/// The linear operator "append `len` zero bytes" on CRC32C values, as a
/// 32×32 matrix over GF(2) (one column per bit), so that
/// `crc32c(A ‖ B) = shift(crc32c(A), |B|) ^ crc32c(B)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeroShift {
    len: u64,
    cols: [u32; 32],
}

/// CRC32C's polynomial, bit-reflected.
const POLY: u32 = 0x82F6_3B78;

fn times(mat: &[u32; 32], mut vec: u32) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 != 0 {
            sum ^= mat[i];
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn compose(a: &[u32; 32], b: &[u32; 32]) -> [u32; 32] {
    let mut out = [0u32; 32];
    for (o, col) in out.iter_mut().zip(b) {
        *o = times(a, *col);
    }
    out
}

impl ZeroShift {
    /// The operator for `len` zero bytes (O(log len) to build).
    pub fn new(len: u64) -> Self {
        // One zero bit: shift right, folding the polynomial in on a carry.
        let mut op = [0u32; 32];
        op[0] = POLY;
        for (i, c) in op.iter_mut().enumerate().skip(1) {
            *c = 1 << (i - 1);
        }
        // Square three times: one zero byte.
        for _ in 0..3 {
            op = compose(&op, &op);
        }
        let mut acc: [u32; 32] = std::array::from_fn(|i| 1 << i);
        let mut n = len;
        while n != 0 {
            if n & 1 != 0 {
                acc = compose(&op, &acc);
            }
            n >>= 1;
            if n != 0 {
                op = compose(&op, &op);
            }
        }
        ZeroShift { len, cols: acc }
    }

    /// The number of zero bytes this operator appends.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for the identity (zero bytes).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `crc` shifted past `len` zero bytes.
    pub fn apply(&self, crc: u32) -> u32 {
        times(&self.cols, crc)
    }
}

#[cfg(test)]
mod shift_tests {

    #[test]
    fn the_table_crc32c_continues_exactly_as_the_hardware_one() {
        let data: Vec<u8> = (0..70_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(crc32c_append_table(0, b"123456789"), 0xe306_9283);
        for split in [0, 1, 7, 64, 4096, 65_536, 70_000] {
            let (a, b) = data.split_at(split);
            let hw = crc32c::crc32c_append(crc32c::crc32c(a), b);
            let table = crc32c_append_table(crc32c_append_table(0, a), b);
            assert_eq!(table, hw, "split at {split}");
        }
    }
    use super::*;

    #[test]
    fn zero_shift_matches_the_crate_combine() {
        for len in [0u64, 1, 2, 3, 7, 64, 1000, 4096, 4_194_304, 5_000_000_007] {
            let op = ZeroShift::new(len);
            // An empty B has CRC 0, so only that pairs with a zero length.
            let pairs: &[(u32, u32)] = if len == 0 {
                &[(0, 0), (0xdead_beef, 0)]
            } else {
                &[(0, 0), (0xdead_beef, 0x1234_5678), (u32::MAX, 1)]
            };
            for &(a, b) in pairs {
                assert_eq!(op.apply(a) ^ b, crc32c_combine(a, b, len), "len {len}");
            }
        }
    }
}
