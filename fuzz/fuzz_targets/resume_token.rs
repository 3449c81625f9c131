//! Resume tokens from disk are outside input: any bytes give a token or a
//! typed error. An accepted token is a chunked plan of its file's size with
//! its acknowledged and read chunks inside the plan, writes back to JSON that
//! reads as the same token, and the upload machine resumes from it.
#![no_main]

use fastio_core::api::Client;
use fastio_core::config::ClientConfig;
use fastio_core::secret::Secret;
use fastio_core::upload::plan::UploadPlan;
use fastio_core::upload::{ResumeToken, Upload, UploadConfig, UploadError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(t) = ResumeToken::from_json(text) else {
        return;
    };
    assert!(matches!(t.plan, UploadPlan::Chunked { size, .. } if size == t.size));
    let n = t.plan.chunk_count();
    assert!(t.acked.iter().all(|a| (1..=n).contains(&a.order)));
    assert!(t.read_crcs.iter().all(|(o, _)| (1..=n).contains(o)));
    assert!(!t.upload_id.trim().is_empty());
    let json = t.to_json();
    match ResumeToken::from_json(&json) {
        Ok(back) => assert_eq!(back, t),
        Err(e) => panic!("a token's own JSON does not read back: {e}\n{json}"),
    }
    let Ok(config) = ClientConfig::with_api_key("https://api.fast.io/current/", Secret::new("k"))
    else {
        return;
    };
    let Ok(client) = Client::new(config) else {
        return;
    };
    match Upload::resume(client, &t, UploadConfig::default()) {
        Ok(mut up) => {
            assert_eq!(up.plan(), &t.plan);
            assert_eq!(up.upload_id(), Some(t.upload_id.as_str()));
            let _ = up.next_action(0);
        }
        // A token may name a file the current limits refuse, or a target the
        // request builder refuses; those are typed.
        Err(UploadError::Plan(_) | UploadError::Protocol { .. } | UploadError::Build(_)) => {}
        Err(e) => panic!("an accepted token does not resume: {e}"),
    }
});
