//! The form, query and multipart encoders, round-tripped through parsers
//! written here independently of the encoders.

use fastio_core::http::{Body, Multipart, Part, PartData, encode_form};
use proptest::prelude::*;

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// application/x-www-form-urlencoded decoding per the WHATWG URL standard.
fn parse_form(s: &str) -> Vec<(String, String)> {
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
type ParsedPart = (String, Option<String>, Option<String>, Vec<u8>);

fn parse_multipart(body: &[u8], boundary: &str) -> Vec<ParsedPart> {
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

fn field_text() -> impl Strategy<Value = String> {
    // Printable text, including characters that need escaping in forms.
    proptest::string::string_regex("[ -~éß漢😀&=+%#?/\\\\]{0,24}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn form_round_trips(fields in proptest::collection::vec((field_text(), field_text()), 0..8)) {
        let encoded = encode_form(&fields);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_graphic()));
        prop_assert_eq!(parse_form(&encoded), fields.clone());
        let body = Body::Form(fields.clone());
        let bytes = body.encode(&[]).unwrap();
        prop_assert_eq!(body.content_length(), bytes.len() as u64);
        prop_assert_eq!(parse_form(std::str::from_utf8(&bytes).unwrap()), fields);
    }

    #[test]
    fn multipart_round_trips(
        fields in proptest::collection::vec(("[a-z_]{1,12}", field_text()), 0..5),
        files in proptest::collection::vec(("[a-z]{1,8}", "[a-zA-Z0-9._-]{1,16}", proptest::collection::vec(any::<u8>(), 0..2048)), 0..3),
        external_len in 0u64..4096,
    ) {
        let mut parts: Vec<Part> = fields.iter().map(|(k, v)| Part::text(k.clone(), v.clone())).collect();
        for (name, fname, data) in &files {
            parts.push(Part::file(name.clone(), fname.clone(), PartData::Inline(data.clone().into())));
        }
        parts.push(Part::file("chunk", "chunk", PartData::External { len: external_len }));
        let m = Multipart::new(parts);
        let boundary = m.boundary.clone();
        let body = Body::Multipart(m);
        let ext: Vec<u8> = (0..external_len).map(|i| (i * 7 % 251) as u8).collect();
        let bytes = body.encode(&[&ext]).unwrap();
        prop_assert_eq!(body.content_length(), bytes.len() as u64);
        let parsed = parse_multipart(&bytes, &boundary);
        prop_assert_eq!(parsed.len(), fields.len() + files.len() + 1);
        for (i, (k, v)) in fields.iter().enumerate() {
            prop_assert_eq!(&parsed[i].0, k);
            prop_assert_eq!(parsed[i].1.as_deref(), None);
            prop_assert_eq!(&parsed[i].3, v.as_bytes());
        }
        for (j, (name, fname, data)) in files.iter().enumerate() {
            let p = &parsed[fields.len() + j];
            prop_assert_eq!(&p.0, name);
            prop_assert_eq!(p.1.as_deref(), Some(fname.as_str()));
            prop_assert_eq!(p.2.as_deref(), Some("application/octet-stream"));
            prop_assert_eq!(&p.3, data);
        }
        prop_assert_eq!(&parsed.last().unwrap().3, &ext);
    }
}
