//! Runs tests/vectors/upload/digests.json and crc32c_combine.json against the hashing engine.

use fastio_core::hash::{
    ChunkHasher, Crc32cParts, DownloadVerifier, FileHasher, HashAlgo, Hasher, SequentialSha256,
    crc32c_combine, crc32c_concat, hash_chunk_bytes,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../tests/vectors/upload/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn materialise(spec: &Value) -> Vec<u8> {
    let len = || spec["len"].as_u64().unwrap() as usize;
    match spec["kind"].as_str().unwrap() {
        "ascii" => spec["value"].as_str().unwrap().as_bytes().to_vec(),
        "hex" => {
            let hex = spec["value"].as_str().unwrap();
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        }
        "repeat" => vec![spec["byte"].as_u64().unwrap() as u8; len()],
        "pattern" => (0..len()).map(|i| (i % 251) as u8).collect(),
        other => panic!("unknown input kind {other}"),
    }
}

fn hex_u32(v: &Value) -> u32 {
    u32::from_str_radix(v.as_str().unwrap(), 16).unwrap()
}

#[test]
fn digests_of_fixed_inputs() {
    let v = load("digests.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let data = materialise(&case["input"]);
        assert_eq!(data.len() as u64, case["len"].as_u64().unwrap(), "{name}");
        let expected = case["digests"].as_object().unwrap();
        assert_eq!(expected.len(), HashAlgo::ALL.len());
        for (algo_name, want) in expected {
            let algo = HashAlgo::parse(algo_name).unwrap();
            let want = want.as_str().unwrap();

            // one shot
            assert_eq!(Hasher::digest(algo, &data).to_hex(), want, "{name} {algo}");

            // in odd-sized pieces through a chunk hasher
            let mut chunk = ChunkHasher::new(algo);
            for piece in data.chunks(997) {
                chunk.update(piece);
            }
            let d = chunk.finish();
            assert_eq!(d.hex(), want, "{name} {algo} chunk");
            assert_eq!(d.len, data.len() as u64);
            assert_eq!(
                format!("{:08x}", d.crc32c),
                expected["crc32c"].as_str().unwrap()
            );

            // streaming verification
            let mut ver = DownloadVerifier::new(want, algo).unwrap();
            for piece in data.chunks(4096) {
                ver.update(piece);
            }
            let out = ver.finish().unwrap();
            assert_eq!(out.checked.unwrap().to_hex(), want);
        }

        // whole-file pair, in one call and through the sequential path
        let mut file = FileHasher::new();
        file.update(&data);
        let fd = file.finish();
        assert_eq!(
            fd.sha256_hex(),
            expected["sha256"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            fd.crc32c_hex(),
            expected["crc32c"].as_str().unwrap(),
            "{name}"
        );

        let mut sha = SequentialSha256::new();
        let mut parts = Crc32cParts::new();
        let chunk_size = 65_536;
        for (i, piece) in data.chunks(chunk_size).enumerate() {
            let offset = (i * chunk_size) as u64;
            let mut ch = ChunkHasher::new(HashAlgo::Md5);
            hash_chunk_bytes(&mut sha, &mut ch, offset, piece).unwrap();
            let cd = ch.finish();
            parts.insert(offset, cd.len, cd.crc32c).unwrap();
        }
        assert_eq!(sha.finish().to_hex(), expected["sha256"].as_str().unwrap());
        assert_eq!(
            format!("{:08x}", parts.combined(data.len() as u64).unwrap()),
            expected["crc32c"].as_str().unwrap()
        );
    }
}

#[test]
fn crc32c_combination_cases() {
    let v = load("crc32c_combine.json");
    let pairs = v["combine"].as_array().unwrap();
    assert!(!pairs.is_empty());
    for case in pairs {
        let name = case["name"].as_str().unwrap();
        let got = crc32c_combine(
            hex_u32(&case["crc1"]),
            hex_u32(&case["crc2"]),
            case["len2"].as_u64().unwrap(),
        );
        assert_eq!(got, hex_u32(&case["combined"]), "{name}");
    }
    for case in v["files"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let data = materialise(&case["input"]);
        let want = hex_u32(&case["file_crc32c"]);
        let parts: Vec<(u64, u64, u32)> = case["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["offset"].as_u64().unwrap(),
                    p["len"].as_u64().unwrap(),
                    hex_u32(&p["crc32c"]),
                )
            })
            .collect();
        for &(off, len, crc) in &parts {
            let piece = &data[off as usize..(off + len) as usize];
            assert_eq!(crc32c::crc32c(piece), crc, "{name} part at {off}");
        }
        assert_eq!(
            crc32c_concat(parts.iter().map(|&(_, len, crc)| (crc, len))),
            want,
            "{name}"
        );
        // out of order
        let mut acc = Crc32cParts::new();
        for &(off, len, crc) in parts.iter().rev() {
            acc.insert(off, len, crc).unwrap();
        }
        assert_eq!(acc.combined(data.len() as u64), Some(want), "{name}");
    }
}
