//! Arbitrary bytes as a delivery body: event parsing returns a value or a
//! typed error, never a panic.

#![no_main]

use fastio_core::webhook::parse_event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = parse_event(data) {
        let _ = event.name();
        let _ = event.info();
    }
});
