//! The devserver's streaming multipart reader (`routes/multipart.rs`) on any
//! `Content-Type` and body. A body gives file parts and text parameters or a
//! typed 4xx; each file part is within its limit and its size and CRC32C are
//! those of the bytes it wrote; text parameters are UTF-8 and within their
//! cap; and the outcome does not depend on how the body is split into pieces
//! on the wire (the same bytes as one piece and as fuzzer-chosen pieces).
#![no_main]

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Method;
use bytes::Bytes;
use fastio_core_fuzz::Script;
use fastio_devserver::params::{Params, Source};
use fastio_devserver::routes::multipart::{self, Part};
use fastio_devserver::store::blobs::Blobs;
use libfuzzer_sys::fuzz_target;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    })
}

fn blobs() -> &'static Blobs {
    static BLOBS: OnceLock<Blobs> = OnceLock::new();
    BLOBS.get_or_init(|| {
        let root: PathBuf =
            std::env::temp_dir().join(format!("fastio-fuzz-multipart-{}", std::process::id()));
        Blobs::new(&root).expect("a data directory")
    })
}

/// A file part: field, size, CRC32C and the digest asked for.
type FileSeen = (String, u64, u32, Option<(String, String)>);

/// What a read came to, in a form two reads can be compared by.
#[derive(Debug, PartialEq)]
enum Outcome {
    Parts {
        files: Vec<FileSeen>,
        text: Vec<(String, Option<String>)>,
    },
    Refused {
        status: u16,
        text: String,
    },
}

const BOUNDARIES: &[&str] = &["XyZ", "----fastio0123", "a", "b o u n d", ""];

struct Case<'a> {
    content_type: String,
    limit: u64,
    whole: u64,
    algo_in_query: bool,
    file_names: [&'a str; 2],
    names: Vec<String>,
}

fn read(case: &Case<'_>, pieces: Vec<Bytes>) -> Outcome {
    let stream = futures_util::stream::iter(pieces.into_iter().map(Ok::<Bytes, std::io::Error>));
    let body = Body::from_stream(stream);
    let query = if case.algo_in_query {
        "hash_algo=sha256"
    } else {
        ""
    };
    let Ok(mut params) = Params::new(&Method::POST, Some(query)) else {
        return Outcome::Refused {
            status: 0,
            text: "query".into(),
        };
    };
    let file_names = case.file_names;
    let classify = move |name: &str, has_filename: bool| {
        if file_names.contains(&name) || (has_filename && name.starts_with('f')) {
            Part::File
        } else if name.starts_with('_') {
            Part::Skip
        } else {
            Part::Text
        }
    };
    let algo_from = if case.algo_in_query {
        Source::Query
    } else {
        Source::Body
    };
    let got = runtime().block_on(multipart::read(
        body,
        &case.content_type,
        blobs(),
        &mut params,
        algo_from,
        classify,
        case.limit,
        case.whole,
    ));
    match got {
        Ok(files) => {
            let mut out = Vec::new();
            for f in &files {
                assert!(
                    f.size <= case.limit,
                    "a part of {} bytes past the limit",
                    f.size
                );
                let mut written = Vec::new();
                let mut file = std::fs::File::open(&f.tmp).expect("the part's file");
                file.read_to_end(&mut written).expect("the part's bytes");
                assert_eq!(written.len() as u64, f.size, "size is not what was written");
                assert_eq!(
                    crc32c::crc32c(&written),
                    f.crc32c,
                    "CRC32C is not of what was written"
                );
                out.push((f.field.clone(), f.size, f.crc32c, f.hash.clone()));
            }
            assert!(files.len() <= 200);
            let text = case
                .names
                .iter()
                .map(|n| (n.clone(), params.body().get(n).map(str::to_string)))
                .collect();
            Outcome::Parts { files: out, text }
        }
        Err(e) => {
            let status = e.status.as_u16();
            assert!(matches!(status, 400 | 413), "{e:?}");
            Outcome::Refused {
                status,
                text: e.text,
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    let boundary = match s.u8() as usize % (BOUNDARIES.len() + 1) {
        i if i < BOUNDARIES.len() => BOUNDARIES[i].to_string(),
        _ => s.text(),
    };
    let content_type = match s.u8() % 4 {
        0 => s.text(),
        1 => format!("multipart/form-data; boundary=\"{boundary}\""),
        _ => format!("multipart/form-data; boundary={boundary}"),
    };
    let case = Case {
        content_type,
        limit: u64::from(s.u16()),
        whole: u64::from(s.u32() % (1 << 20)).max(1),
        algo_in_query: s.flag(),
        file_names: ["file", "chunk"],
        names: vec!["a".into(), "hash_algo".into(), "name".into(), s.text()],
    };
    let cuts: Vec<usize> = (0..s.u8() % 8).map(|_| s.u16() as usize).collect();
    let body = Bytes::copy_from_slice(s.rest());

    let whole = read(&case, vec![body.clone()]);
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts {
        pieces.push(body.slice(at..c));
        at = c;
    }
    pieces.push(body.slice(at..));
    let split = read(&case, pieces);
    assert_eq!(
        whole, split,
        "the outcome depends on how the body was split"
    );
});
