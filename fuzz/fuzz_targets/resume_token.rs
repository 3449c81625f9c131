//! Resume tokens from disk are outside input: any bytes give a token or a
//! typed error.
#![no_main]

use fastio_core::upload::ResumeToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ResumeToken::from_json(text);
    }
});
