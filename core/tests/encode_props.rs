//! The form, query and multipart encoders, round-tripped through parsers
//! written here independently of the encoders.

use fastio_core::http::{Body, Multipart, Part, PartData, encode_form};
use proptest::prelude::*;

mod common;
use common::{parse_form, parse_multipart};

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
