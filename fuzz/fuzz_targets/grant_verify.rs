//! Upload grants arrive from clients: any bytes give a grant or a typed error,
//! and the sniffer decides on any head bytes. The key is the one
//! `tests/vectors/policy/grants.json` signs with, so its tokens (the seeds)
//! reach the payload checks. An accepted grant is unexpired and not issued
//! in the future (60 s of skew), and the key signs it again to a token that
//! verifies to the same grant; a token under a key the ring does not hold
//! is never accepted.
#![no_main]

use fastio_core::policy::{GrantError, GrantKey, GrantKeyring, Sniff, Sniffer};
use fastio_core::secret::Secret;
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_767_225_600;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = GrantKey::new(Secret::new("gateway-grant-secret-1"))
        && let Ok(other) = GrantKey::new(Secret::new("another-grant-secret"))
    {
        let ring = GrantKeyring::new(vec![key.clone()]);
        if let Ok(g) = ring.verify(text, NOW) {
            assert!(NOW < g.expires, "an expired grant accepted");
            assert!(g.issued <= NOW + 60, "a grant from the future accepted");
            match key.issue(&g) {
                Ok(again) => assert_eq!(ring.verify(&again, NOW), Ok(g.clone())),
                // Written canonically (an omitted nonce spelled out) a grant
                // can grow past what a keyring reads; then it is refused.
                Err(e) => assert!(matches!(e, GrantError::Malformed(_)), "{e}"),
            }
            assert!(GrantKeyring::new(vec![other]).verify(text, NOW).is_err());
        }
    }
    let sniffer = Sniffer::new();
    let complete = data.len().is_multiple_of(2);
    let verdict = sniffer.sniff(data, complete);
    if complete {
        assert!(
            !matches!(verdict, Sniff::NeedMore),
            "a complete file left undecided"
        );
    }
});
