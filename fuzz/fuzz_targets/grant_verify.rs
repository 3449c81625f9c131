//! Upload grants arrive from clients: any bytes give a grant or a typed error,
//! and the sniffer decides on any head bytes.
#![no_main]

use fastio_core::policy::{GrantKey, GrantKeyring, Sniffer};
use fastio_core::secret::Secret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = GrantKey::new(Secret::new("fuzz-key"))
    {
        let _ = GrantKeyring::new(vec![key]).verify(text, 1_767_225_600);
    }
    let _ = Sniffer::new().sniff(data, data.len() % 2 == 0);
});
