/// `bytes` bytes of xorshift64 output, little-endian words: the buffer both
/// `core/benches/hash_rate.rs` and `hosts/wasmtime/benches/component_hash.rs`
/// hash, so the digests they print must match.
pub fn data(bytes: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = vec![0u8; bytes];
    for b in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
    }
    out
}
