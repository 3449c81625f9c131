//! Hashing engine: algorithm names, one-pass equivalence, out-of-order chunks, CRC32C
//! combination against direct computation, and verification.

use fastio_core::hash::{
    ChunkHasher, Crc32cParts, Digest, DownloadVerifier, FileHasher, HashAlgo, HashError, Hasher,
    SequentialSha256, VerifyError, crc32c_combine, crc32c_concat, crc32c_hex, hash_chunk_bytes,
    verify_node_hash,
};
use proptest::prelude::*;

#[test]
fn algorithm_names() {
    for algo in HashAlgo::ALL {
        assert_eq!(HashAlgo::parse(algo.as_str()), Ok(algo));
        assert_eq!(
            HashAlgo::parse(&algo.as_str().to_uppercase()),
            Ok(algo),
            "case-insensitive"
        );
        assert_eq!(algo.to_string().parse::<HashAlgo>(), Ok(algo));
        let json = serde_json::to_string(&algo).unwrap();
        assert_eq!(json, format!("\"{}\"", algo.as_str()));
        assert_eq!(serde_json::from_str::<HashAlgo>(&json).unwrap(), algo);
        assert_eq!(
            Hasher::digest(algo, b"").as_bytes().len(),
            algo.digest_len()
        );
        assert_eq!(Hasher::digest(algo, b"x").to_hex().len(), algo.hex_len());
    }
    assert_eq!(HashAlgo::parse(" SHA256 "), Ok(HashAlgo::Sha256));
    assert_eq!(
        HashAlgo::parse("blake3"),
        Err(HashError::UnsupportedAlgorithm("blake3".into()))
    );
    assert_eq!(
        HashAlgo::parse(""),
        Err(HashError::UnsupportedAlgorithm(String::new()))
    );
    assert!(serde_json::from_str::<HashAlgo>("\"sha512\"").is_err());
    let msg = HashAlgo::parse("sha3").unwrap_err().to_string();
    assert!(msg.contains("sha3") && msg.contains("crc32c"), "{msg}");
}

#[test]
fn crc32c_hex_is_big_endian_eight_digits() {
    assert_eq!(crc32c_hex(0xE3069283), "e3069283");
    assert_eq!(crc32c_hex(0x1), "00000001");
    assert_eq!(
        Hasher::digest(HashAlgo::Crc32c, b"123456789").to_hex(),
        "e3069283"
    );
    assert_eq!(
        Digest::crc32c(0xABCDEF01).as_bytes(),
        &[0xAB, 0xCD, 0xEF, 0x01]
    );
}

#[test]
fn digests_serialise() {
    let mut c = ChunkHasher::new(HashAlgo::Sha1);
    c.update(b"abc");
    let d = c.finish();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "len": 3,
            "crc32c": 0x364b3fb7u32,
            "digest": {"algo": "sha1", "hex": "a9993e364706816aba3e25717850c26c9cd0d89d"}
        })
    );
    assert_eq!(
        serde_json::from_value::<fastio_core::hash::ChunkDigest>(json).unwrap(),
        d
    );
    assert!(
        serde_json::from_value::<Digest>(serde_json::json!({"algo": "sha1", "hex": "abc"}))
            .is_err()
    );
    assert!(
        serde_json::from_value::<Digest>(serde_json::json!({"algo": "sha9", "hex": "ab"})).is_err()
    );
}

#[test]
fn digest_parsing() {
    let d = Digest::from_hex(HashAlgo::Crc32c, "E3069283").unwrap();
    assert_eq!(d.to_hex(), "e3069283");
    assert!(Digest::from_hex(HashAlgo::Crc32c, "e306928").is_err());
    assert!(Digest::from_hex(HashAlgo::Crc32c, "e306928g").is_err());
    assert!(Digest::from_hex(HashAlgo::Md5, "é30692830000000000000000000000").is_err());
    assert!(Digest::from_bytes(HashAlgo::Sha1, &[0; 19]).is_err());
    assert_eq!(
        Digest::from_bytes(HashAlgo::Sha1, &[0; 20])
            .unwrap()
            .to_string(),
        format!("sha1:{}", "0".repeat(40))
    );
}

#[test]
fn chunk_hasher_crc_algo_reuses_the_crc() {
    let mut c = ChunkHasher::new(HashAlgo::Crc32c);
    c.update(b"123456789");
    assert_eq!(c.crc32c(), 0xE3069283);
    let d = c.finish();
    assert_eq!(d.algo(), HashAlgo::Crc32c);
    assert_eq!(d.hex(), "e3069283");
    assert_eq!(d.crc32c, 0xE3069283);
    assert_eq!(d.len, 9);
}

#[test]
fn sequential_sha256_skips_repeats_and_refuses_gaps() {
    let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut s = SequentialSha256::new();
    assert_eq!(s.update_at(0, &data[..100]), Ok(100));
    // a chunk read again (retry): nothing new
    assert_eq!(s.update_at(0, &data[..100]), Ok(0));
    // overlapping read: only the new tail counts
    assert_eq!(s.update_at(50, &data[50..150]), Ok(50));
    // a gap
    assert_eq!(
        s.update_at(200, &data[200..]),
        Err(HashError::Gap {
            expected: 150,
            got: 200
        })
    );
    assert_eq!(s.offset(), 150);
    assert_eq!(s.update_at(150, &data[150..]), Ok(150));
    assert_eq!(s.finish(), Hasher::digest(HashAlgo::Sha256, &data));

    let mut f = FileHasher::new();
    assert!(f.is_empty());
    assert_eq!(
        f.update_at(1, b"x"),
        Err(HashError::Gap {
            expected: 0,
            got: 1
        })
    );
    assert_eq!(f.update_at(0, &data), Ok(300));
    assert_eq!(
        f.update_at(u64::MAX, b""),
        Err(HashError::Gap {
            expected: 300,
            got: u64::MAX
        })
    );
    let fd = f.finish();
    assert_eq!(fd.sha256, Hasher::digest(HashAlgo::Sha256, &data));
    assert_eq!(fd.crc32c, crc32c::crc32c(&data));
    assert_eq!(fd.len, 300);
}

#[test]
fn hash_chunk_bytes_gap_changes_nothing() {
    let mut sha = SequentialSha256::new();
    let mut chunk = ChunkHasher::new(HashAlgo::Sha1);
    assert!(matches!(
        hash_chunk_bytes(&mut sha, &mut chunk, 10, b"abc"),
        Err(HashError::Gap {
            expected: 0,
            got: 10
        })
    ));
    assert_eq!(sha.offset(), 0);
    assert!(chunk.is_empty());
}

/// Parallel upload simulation: chunks are hashed in a shuffled order; the SHA-256 is fed
/// whenever the next chunk in file order is available, the CRC parts in any order.
fn hash_out_of_order(data: &[u8], chunk_size: usize, order: &[usize], algo: HashAlgo) {
    let chunks: Vec<&[u8]> = data.chunks(chunk_size).collect();
    let mut sha = SequentialSha256::new();
    let mut parts = Crc32cParts::new();
    let mut digests = vec![None; chunks.len()];
    for &i in order {
        let offset = (i * chunk_size) as u64;
        let mut ch = ChunkHasher::new(algo);
        match hash_chunk_bytes(&mut sha, &mut ch, offset, chunks[i]) {
            Ok(()) => {}
            Err(HashError::Gap { .. }) => ch.update(chunks[i]),
            Err(e) => panic!("{e}"),
        }
        let d = ch.finish();
        parts.insert(offset, d.len, d.crc32c).unwrap();
        digests[i] = Some(d);
        // catch the SHA-256 up with chunks that were waiting for their predecessors
        while sha.offset() < data.len() as u64
            && let next = sha.offset() as usize / chunk_size
            && digests[next].is_some()
        {
            sha.update_at((next * chunk_size) as u64, chunks[next])
                .unwrap();
        }
    }
    assert_eq!(sha.offset(), data.len() as u64);
    assert_eq!(sha.finish(), Hasher::digest(HashAlgo::Sha256, data));
    assert_eq!(
        parts.combined(data.len() as u64),
        Some(crc32c::crc32c(data))
    );
    for (i, d) in digests.into_iter().enumerate() {
        let d = d.unwrap();
        assert_eq!(d.digest, Hasher::digest(algo, chunks[i]));
        assert_eq!(d.crc32c, crc32c::crc32c(chunks[i]));
    }
}

proptest! {
    // Large inputs hash slowly in unoptimised test builds; fewer cases keep the suite quick
    // while still crossing the 64 KiB interleaving slices at random offsets.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn one_pass_matches_separate_hashers(
        data in prop::collection::vec(any::<u8>(), 0..200_000),
        piece in 1usize..100_000,
        algo in prop::sample::select(HashAlgo::ALL.to_vec()),
    ) {
        let mut f = FileHasher::new();
        let mut c = ChunkHasher::new(algo);
        for p in data.chunks(piece) {
            f.update(p);
            c.update(p);
        }
        let fd = f.finish();
        prop_assert_eq!(fd.sha256, Hasher::digest(HashAlgo::Sha256, &data));
        prop_assert_eq!(fd.crc32c, crc32c::crc32c(&data));
        let cd = c.finish();
        prop_assert_eq!(cd.digest, Hasher::digest(algo, &data));
        prop_assert_eq!(cd.crc32c, crc32c::crc32c(&data));
    }

    #[test]
    fn chunks_in_any_order(
        data in prop::collection::vec(any::<u8>(), 1..20_000),
        chunk_size in 1usize..5_000,
        seed in any::<u64>(),
        algo in prop::sample::select(HashAlgo::ALL.to_vec()),
    ) {
        let n = data.len().div_ceil(chunk_size);
        let mut order: Vec<usize> = (0..n).collect();
        // Fisher-Yates with a small LCG, so the shuffle is reproducible from the seed.
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        hash_out_of_order(&data, chunk_size, &order, algo);
    }

    #[test]
    fn combine_matches_direct(
        a in prop::collection::vec(any::<u8>(), 0..3000),
        b in prop::collection::vec(any::<u8>(), 0..3000),
    ) {
        let whole: Vec<u8> = a.iter().chain(&b).copied().collect();
        prop_assert_eq!(
            crc32c_combine(crc32c::crc32c(&a), crc32c::crc32c(&b), b.len() as u64),
            crc32c::crc32c(&whole)
        );
    }

    #[test]
    fn concat_matches_direct(
        data in prop::collection::vec(any::<u8>(), 0..5000),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        cuts.push(0);
        cuts.push(data.len());
        cuts.sort_unstable();
        let parts = cuts.windows(2).map(|w| {
            let p = &data[w[0]..w[1]];
            (crc32c::crc32c(p), p.len() as u64)
        });
        prop_assert_eq!(crc32c_concat(parts), crc32c::crc32c(&data));
    }
}

#[test]
fn combine_with_lengths_past_four_gib() {
    // Shifting by a + b zeros equals shifting by a then by b: exercises the split path's
    // algebra on every target.
    let crc1 = 0xDEADBEEF;
    let a = 3_000_000_000u64;
    let b = 2_500_000_000u64;
    let two_steps = crc32c_combine(crc32c_combine(crc1, 0, a), 0, b);
    assert_eq!(crc32c_combine(crc1, 0, a + b), two_steps);
    assert_eq!(crc32c_combine(crc1, 0x1234, a + b), two_steps ^ 0x1234);
}

#[test]
fn crc_parts_reject_overlaps_and_gaps() {
    let mut p = Crc32cParts::new();
    assert!(p.is_empty());
    assert_eq!(p.combined(0), Some(0));
    p.insert(10, 10, 1).unwrap();
    assert_eq!(p.contiguous_len(), 0);
    assert_eq!(p.combined(20), None, "gap at the start");
    assert_eq!(
        p.insert(15, 10, 2),
        Err(HashError::Overlap {
            offset: 15,
            len: 10
        })
    );
    assert_eq!(
        p.insert(5, 6, 2),
        Err(HashError::Overlap { offset: 5, len: 6 })
    );
    assert_eq!(
        p.insert(10, 4, 2),
        Err(HashError::Overlap { offset: 10, len: 4 })
    );
    assert!(p.insert(u64::MAX, 2, 0).is_err());
    // the same part again replaces it (a re-sent chunk)
    p.insert(10, 10, crc32c::crc32c(&[1; 10])).unwrap();
    p.insert(0, 10, crc32c::crc32c(&[0; 10])).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p.contiguous_len(), 20);
    let mut data = vec![0u8; 10];
    data.extend([1u8; 10]);
    assert_eq!(p.combined(20), Some(crc32c::crc32c(&data)));
    assert_eq!(p.combined(21), None, "short of the total");
    assert!(p.remove(10));
    assert!(!p.remove(10));
    assert_eq!(p.combined(20), None);
    assert_eq!(p.contiguous_len(), 10);
    p.insert(10, 5, crc32c::crc32c(&[1; 5])).unwrap();
    assert_eq!(p.combined(15), Some(crc32c::crc32c(&data[..15])));
}

#[test]
fn node_hash_verification() {
    let data = b"hello world";
    let local = [
        Hasher::digest(HashAlgo::Sha256, data),
        Hasher::digest(HashAlgo::Crc32c, data),
        Hasher::digest(HashAlgo::Md5, data),
    ];
    let md5 = "5eb63bbbe01eeed093cb22bb8f5acdc3";
    assert_eq!(verify_node_hash(md5, "md5", &local).unwrap(), local[2]);
    assert_eq!(
        verify_node_hash(&md5.to_uppercase(), "MD5", &local).unwrap(),
        local[2]
    );
    let wrong = "00000000000000000000000000000000";
    assert_eq!(
        verify_node_hash(wrong, "md5", &local),
        Err(VerifyError::Mismatch {
            algo: HashAlgo::Md5,
            expected: wrong.into(),
            actual: md5.into()
        })
    );
    let err = verify_node_hash(wrong, "md5", &local)
        .unwrap_err()
        .to_string();
    assert!(err.contains(wrong) && err.contains(md5), "{err}");
    assert_eq!(
        verify_node_hash("aa", "sha1", &local),
        Err(VerifyError::NotComputed {
            algo: HashAlgo::Sha1,
            computed: vec![HashAlgo::Sha256, HashAlgo::Crc32c, HashAlgo::Md5]
        })
    );
    assert_eq!(
        verify_node_hash("aa", "whirlpool", &local),
        Err(VerifyError::UnsupportedAlgorithm("whirlpool".into()))
    );
    assert_eq!(
        verify_node_hash("", "md5", &local),
        Err(VerifyError::MissingHash)
    );
    assert!(matches!(
        verify_node_hash("xyz", "md5", &local),
        Err(VerifyError::BadExpected { .. })
    ));
    assert!(matches!(
        verify_node_hash(md5, "md5", &[]),
        Err(VerifyError::NotComputed { .. })
    ));
}

#[test]
fn download_verifier() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    for algo in HashAlgo::ALL {
        let expected = Hasher::digest(algo, &data).to_hex();
        let mut v = DownloadVerifier::new(&expected, algo).unwrap();
        for p in data.chunks(3000) {
            v.update(p);
        }
        assert_eq!(v.len(), data.len() as u64);
        let out = v.finish().unwrap();
        assert_eq!(out.checked.unwrap().to_hex(), expected);
        assert_eq!(out.file.sha256, Hasher::digest(HashAlgo::Sha256, &data));
        assert_eq!(out.file.crc32c, crc32c::crc32c(&data));

        // one flipped byte
        let mut bad = data.clone();
        bad[5000] ^= 0x40;
        let mut v = DownloadVerifier::for_node(&expected, algo.as_str()).unwrap();
        v.update(&bad);
        match v.finish() {
            Err(VerifyError::Mismatch {
                algo: a,
                expected: e,
                actual,
            }) => {
                assert_eq!(a, algo);
                assert_eq!(e, expected);
                assert_eq!(actual, Hasher::digest(algo, &bad).to_hex());
            }
            other => panic!("{algo}: {other:?}"),
        }
    }
    assert!(matches!(
        DownloadVerifier::new("abc", HashAlgo::Sha256),
        Err(VerifyError::BadExpected { .. })
    ));
    assert_eq!(
        DownloadVerifier::new("", HashAlgo::Sha256).unwrap_err(),
        VerifyError::MissingHash
    );
    assert_eq!(
        DownloadVerifier::for_node("00", "tiger").unwrap_err(),
        VerifyError::UnsupportedAlgorithm("tiger".into())
    );

    let mut v = DownloadVerifier::unchecked();
    assert!(v.is_empty());
    v.update(&data);
    let out = v.finish().unwrap();
    assert_eq!(out.checked, None);
    assert_eq!(out.file.len, data.len() as u64);
    assert_eq!(out.file.crc32c_hex(), crc32c_hex(crc32c::crc32c(&data)));
}
