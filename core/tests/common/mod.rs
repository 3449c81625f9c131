//! Independent parsers shared by the tests: they decode what the core encodes
//! without using any of the core's encoding code.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The JSON files of `tests/vectors/<folder>/`, sorted.
pub fn vector_files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// application/x-www-form-urlencoded decoding per the WHATWG URL standard.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    let decode = |part: &str| -> String {
        let bytes = part.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let (h, l) = (
                        bytes.get(i + 1).copied().and_then(hex_val),
                        bytes.get(i + 2).copied().and_then(hex_val),
                    );
                    match (h, l) {
                        (Some(h), Some(l)) => {
                            out.push(h * 16 + l);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).expect("utf-8")
    };
    if s.is_empty() {
        return Vec::new();
    }
    s.split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A minimal multipart/form-data parser: (name, filename, content-type, data).
pub type ParsedPart = (String, Option<String>, Option<String>, Vec<u8>);

pub fn parse_multipart(body: &[u8], boundary: &str) -> Vec<ParsedPart> {
    let delim = format!("--{boundary}");
    let find = |hay: &[u8], from: usize, needle: &[u8]| -> Option<usize> {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut pos = find(body, 0, delim.as_bytes()).expect("first delimiter");
    loop {
        pos += delim.len();
        if body[pos..].starts_with(b"--") {
            assert_eq!(&body[pos..], b"--\r\n", "closing delimiter ends the body");
            break;
        }
        assert_eq!(&body[pos..pos + 2], b"\r\n");
        pos += 2;
        let head_end = find(body, pos, b"\r\n\r\n").expect("end of part headers");
        let head = std::str::from_utf8(&body[pos..head_end]).expect("ascii headers");
        let mut name = String::new();
        let mut filename = None;
        let mut ctype = None;
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(": ").expect("header line");
            if k.eq_ignore_ascii_case("content-disposition") {
                for attr in v.split("; ").skip(1) {
                    let (ak, av) = attr.split_once('=').expect("attribute");
                    let av = av.trim_matches('"').to_string();
                    match ak {
                        "name" => name = av,
                        "filename" => filename = Some(av),
                        _ => panic!("unexpected attribute {ak}"),
                    }
                }
            } else if k.eq_ignore_ascii_case("content-type") {
                ctype = Some(v.to_string());
            }
        }
        let data_start = head_end + 4;
        let next =
            find(body, data_start, format!("\r\n{delim}").as_bytes()).expect("next delimiter");
        parts.push((name, filename, ctype, body[data_start..next].to_vec()));
        pos = next + 2;
    }
    parts
}

pub mod fake_server;
