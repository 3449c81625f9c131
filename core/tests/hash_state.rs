//! Hasher state: golden bytes, exact continuation after restore, and typed errors (never a
//! panic) on malformed input.

use fastio_core::hash::{
    ChunkHasher, FileHasher, HashAlgo, Hasher, HasherState, SequentialSha256, StateError,
    StateKind, to_hex,
};
use proptest::prelude::*;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// Golden states. If one of these changes, the format changed: bump STATE_VERSION and keep
// reading version 1, or resume tokens already stored stop working.

const EMPTY_SEQUENTIAL_SHA256: &str = "0104010300000000000000000068\
67e6096a85ae67bb72f36e3c3af54fa57f520e518c68059babd9831f19cde05b\
0000000000000000\
00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

const FILE_PATTERN_100_B64: &str = "AQICAwAAAAAAAABkAGjfopn8eir0iIDRuXuixs0zX3VWAlCaW50xzKlEp4S+WgEAAAAAAAAAJEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiYwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUAAAAAAAAAZAAEwcrr5Q==";

const CHUNK_CRC32C_ABC: &str = "0103010500000000000000030004364b3fb7";

const CHUNK_MD5_ABC: &str = "0103020500000000000000030004364b3fb7\
0100000000000000030058\
0123456789abcdeffedcba9876543210\
0000000000000000\
03616263000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

const SHA1_ABC: &str = "010101020000000000000003005c\
0123456789abcdeffedcba9876543210f0e1d2c3\
0000000000000000\
03616263000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

const SHA384_PATTERN_100_B64: &str = "AQEBBAAAAAAAAABkANDYngXBXZ27ywfVfDYqKZpiF91wMFoBWZE5WQ732OwvFTELwP9nJjNnERVYaIdKtI6nj/lkDS4M26RP+r4dSLVHAAAAAAAAAAAAAAAAAAAAAGQAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn golden_empty_sequential_sha256_holds_the_iv() {
    let state = SequentialSha256::new().state();
    assert_eq!(to_hex(state.as_bytes()), EMPTY_SEQUENTIAL_SHA256);
    // The chaining words are the SHA-256 initial values (FIPS 180-4 §5.3.3), little-endian.
    let words: Vec<u32> = state.as_bytes()[14..46]
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        words,
        [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19
        ]
    );
}

#[test]
fn golden_file_hasher() {
    let mut f = FileHasher::new();
    f.update(&pattern(100));
    let state = f.state();
    assert_eq!(state.to_base64(), FILE_PATTERN_100_B64);
    assert_eq!(state.kind(), StateKind::File);
    assert_eq!(state.bytes_processed(), 100);
    // The crc32c record carries the running CRC.
    let tail = &state.as_bytes()[state.as_bytes().len() - 4..];
    assert_eq!(u32::from_be_bytes(tail.try_into().unwrap()), f.crc32c());
}

#[test]
fn golden_chunk_hashers() {
    let mut c = ChunkHasher::new(HashAlgo::Crc32c);
    c.update(b"abc");
    assert_eq!(to_hex(c.state().as_bytes()), CHUNK_CRC32C_ABC);
    let mut c = ChunkHasher::new(HashAlgo::Md5);
    c.update(b"abc");
    assert_eq!(to_hex(c.state().as_bytes()), CHUNK_MD5_ABC);
}

#[test]
fn golden_single_algorithm_hashers() {
    let mut h = Hasher::new(HashAlgo::Sha1);
    h.update(b"abc");
    assert_eq!(to_hex(h.state().as_bytes()), SHA1_ABC);
    let mut h = Hasher::new(HashAlgo::Sha384);
    h.update(&pattern(100));
    assert_eq!(h.state().to_base64(), SHA384_PATTERN_100_B64);
}

#[test]
fn golden_states_restore_and_finish_correctly() {
    let data = pattern(1000);
    let f = FileHasher::from_state(&HasherState::from_base64(FILE_PATTERN_100_B64).unwrap());
    let mut f = f.unwrap();
    f.update(&data[100..]);
    let mut whole = FileHasher::new();
    whole.update(&data);
    assert_eq!(f.finish(), whole.finish());

    let mut c =
        ChunkHasher::from_state(&HasherState::from_bytes(&unhex(CHUNK_MD5_ABC)).unwrap()).unwrap();
    c.update(b"def");
    let d = c.finish();
    assert_eq!(d.hex(), "e80b5017098950fc58aad83c8c14978e"); // md5("abcdef")
    assert_eq!(d.crc32c, crc32c::crc32c(b"abcdef"));
}

fn any_algo() -> impl Strategy<Value = HashAlgo> {
    prop::sample::select(HashAlgo::ALL.to_vec())
}

proptest! {
    #[test]
    fn restored_hashers_continue_identically(
        data in prop::collection::vec(any::<u8>(), 0..700),
        split in 0usize..700,
        algo in any_algo(),
    ) {
        let split = split.min(data.len());
        let (a, b) = data.split_at(split);

        let mut h = Hasher::new(algo);
        h.update(a);
        let state = HasherState::from_bytes(h.state().as_bytes()).unwrap();
        prop_assert_eq!(state.bytes_processed(), a.len() as u64);
        let mut r = Hasher::from_state(&state).unwrap();
        r.update(b);
        prop_assert_eq!(r.bytes_processed(), data.len() as u64);
        prop_assert_eq!(r.finish(), Hasher::digest(algo, &data));

        let mut c = ChunkHasher::new(algo);
        c.update(a);
        let json = serde_json::to_string(&c.state()).unwrap();
        let state: HasherState = serde_json::from_str(&json).unwrap();
        let mut r = ChunkHasher::from_state(&state).unwrap();
        prop_assert_eq!(r.algo(), algo);
        r.update(b);
        let mut whole = ChunkHasher::new(algo);
        whole.update(&data);
        prop_assert_eq!(r.finish(), whole.finish());

        let mut f = FileHasher::new();
        f.update(a);
        let mut r = FileHasher::from_state(&HasherState::from_base64(&f.state().to_base64()).unwrap()).unwrap();
        r.update(b);
        let mut whole = FileHasher::new();
        whole.update(&data);
        prop_assert_eq!(r.finish(), whole.finish());

        let mut s = SequentialSha256::new();
        s.update(a);
        let mut r = SequentialSha256::from_state(&s.state()).unwrap();
        prop_assert_eq!(r.offset(), a.len() as u64);
        r.update(b);
        prop_assert_eq!(r.finish(), Hasher::digest(HashAlgo::Sha256, &data));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(state) = HasherState::from_bytes(&bytes) {
            let _ = Hasher::from_state(&state);
            let _ = FileHasher::from_state(&state);
            let _ = ChunkHasher::from_state(&state);
            let _ = SequentialSha256::from_state(&state);
        }
    }

    #[test]
    fn mutated_valid_states_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..300),
        algo in any_algo(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut c = ChunkHasher::new(algo);
        c.update(&data);
        let mut bytes = c.state().as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(state) = HasherState::from_bytes(&bytes) {
            // Whatever parses must restore into something usable or fail with a typed error.
            if let Ok(mut h) = ChunkHasher::from_state(&state) {
                h.update(b"more");
                let _ = h.finish();
            }
        }
    }
}

#[test]
fn every_truncation_is_a_typed_error() {
    let mut f = FileHasher::new();
    f.update(&pattern(77));
    let bytes = f.state().as_bytes().to_vec();
    for n in 0..bytes.len() {
        let err = HasherState::from_bytes(&bytes[..n]).unwrap_err();
        assert!(
            matches!(err, StateError::Truncated | StateError::BadLength { .. }),
            "prefix {n}: {err:?}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        HasherState::from_bytes(&longer),
        Err(StateError::Malformed(_))
    ));
}

#[test]
fn wrong_version_kind_algorithm_and_counts() {
    let mut f = FileHasher::new();
    f.update(&pattern(77));
    let good = f.state().as_bytes().to_vec();

    let mut b = good.clone();
    b[0] = 2;
    assert_eq!(
        HasherState::from_bytes(&b),
        Err(StateError::UnsupportedVersion(2))
    );
    let mut b = good.clone();
    b[1] = 9;
    assert_eq!(HasherState::from_bytes(&b), Err(StateError::UnknownKind(9)));
    let mut b = good.clone();
    b[3] = 42;
    assert_eq!(
        HasherState::from_bytes(&b),
        Err(StateError::UnknownAlgorithm(42))
    );
    let mut b = good.clone();
    b[2] = 0;
    assert!(matches!(
        HasherState::from_bytes(&b),
        Err(StateError::Malformed(_))
    ));

    // bytes processed disagreeing with the SHA-256 block counter
    let mut b = good.clone();
    b[11] ^= 1;
    assert_eq!(
        HasherState::from_bytes(&b),
        Err(StateError::Corrupt(HashAlgo::Sha256))
    );
    // a buffered length past the block
    let mut b = good.clone();
    b[14 + 40] = 64;
    assert_eq!(
        HasherState::from_bytes(&b),
        Err(StateError::Corrupt(HashAlgo::Sha256))
    );
    // garbage after the buffered bytes
    let mut b = good.clone();
    b[14 + 103] = 1;
    assert_eq!(
        HasherState::from_bytes(&b),
        Err(StateError::Corrupt(HashAlgo::Sha256))
    );
    // the crc32c record counting different bytes than the sha256 one
    let mut b = good.clone();
    let crc_record = 14 + 104;
    b[crc_record + 8] ^= 1;
    assert!(matches!(
        HasherState::from_bytes(&b),
        Err(StateError::Malformed(_))
    ));

    // the right bytes for the wrong type
    let state = HasherState::from_bytes(&good).unwrap();
    assert_eq!(
        Hasher::from_state(&state).unwrap_err(),
        StateError::WrongKind {
            expected: StateKind::Hasher,
            found: StateKind::File
        }
    );
    assert!(ChunkHasher::from_state(&state).is_err());
    assert!(SequentialSha256::from_state(&state).is_err());

    assert_eq!(
        HasherState::from_base64("not base64!"),
        Err(StateError::Base64)
    );
    assert!(serde_json::from_str::<HasherState>("\"AQ==\"").is_err());
    assert!(format!("{state:?}").contains("File"));
}
