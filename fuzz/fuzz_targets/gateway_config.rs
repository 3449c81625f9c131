//! The gateway's configuration (`hosts/spin/src/config.rs`) from any
//! environment: every section gives a configuration within its documented
//! bounds or an error naming one of the gateway's variables, and neither an
//! error nor a configuration's `Debug` ever shows a secret. Sizes parse as
//! their digits times the suffix, and the grant keys sign what they verify.
#![no_main]

use std::collections::HashMap;

use fastio_core::policy::{Grant, GrantError, MAX_GRANT_LEN};
use fastio_gateway::config::{self, ConfigError, var};
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Secret values carry this mark, so any echo of one is found.
const MARK: &str = "S3CR3T";
const SECRETS: &[&str] = &[var::API_KEY, var::GRANT_SECRET, var::WEBHOOK_SECRETS];
const SAMPLES: &[&str] = &[
    "https://api.fast.io/current/",
    "http://127.0.0.1:8080/current/",
    "4M",
    "16m",
    "3",
    "64K",
    "1G",
    " 12 ",
    "off",
    "on",
    "standard",
    "github",
    "fastio-timestamped-hex",
    "pdf, png",
    "*",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
];

fn no_secret(text: &str) {
    assert!(!text.contains(MARK), "a secret shows: {text}");
}

fn check_error(e: &ConfigError) {
    assert!(var::ALL.contains(&e.variable), "{e}");
    no_secret(&e.to_string());
    no_secret(&format!("{e:?}"));
}

fn check_size(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let text = String::arbitrary(u)?;
    if let Some(n) = config::parse_size(&text) {
        let t = text.trim();
        let (digits, mult) = match t.chars().last() {
            Some('k' | 'K') => (&t[..t.len() - 1], 1u64 << 10),
            Some('m' | 'M') => (&t[..t.len() - 1], 1 << 20),
            Some('g' | 'G') => (&t[..t.len() - 1], 1 << 30),
            _ => (t, 1),
        };
        let d: u64 = digits.trim().parse().expect("accepted digits parse");
        assert_eq!(d.checked_mul(mult), Some(n), "{text:?}");
    }
    let d = u64::arbitrary(u)? >> u8::arbitrary(u)?.min(63);
    for (suffix, mult) in [("", 1u64), ("K", 1 << 10), ("m", 1 << 20), ("G", 1 << 30)] {
        assert_eq!(
            config::parse_size(&format!("{d}{suffix}")),
            d.checked_mul(mult)
        );
    }
    Ok(())
}

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_size(u)?;
    let mut env: HashMap<&'static str, String> = HashMap::new();
    for name in var::ALL {
        let value = match u.int_in_range(0..=3u8)? {
            0 => continue,
            1 => u.choose(SAMPLES)?.to_string(),
            _ => String::arbitrary(u)?,
        };
        let value = if SECRETS.contains(&name) {
            // Some comma-separated secrets, each marked.
            value
                .split(',')
                .map(|s| format!("{MARK}{s}"))
                .collect::<Vec<_>>()
                .join(",")
        } else {
            // Removing one mark can join two halves into another.
            let mut v = value;
            while v.contains(MARK) {
                v = v.replace(MARK, "");
            }
            v
        };
        env.insert(name, value);
    }
    let get = |name: &str| env.get(name).cloned();

    match config::upload(&get) {
        Ok(c) => {
            assert!((1..=16).contains(&c.parallel));
            assert!(((1 << 20)..=(16 << 20)).contains(&c.chunk_size));
            assert!(u64::from(c.parallel) * c.chunk_size <= config::MAX_CHUNK_BYTES_HELD);
            no_secret(&format!("{c:?}"));
        }
        Err(e) => check_error(&e),
    }
    match config::grant_keys(&get) {
        Ok((signer, ring)) => {
            no_secret(&format!("{signer:?}"));
            let g = Grant {
                workspace: "4000000000000000001".into(),
                folder: "root".into(),
                max_size: u64::arbitrary(u)?,
                expires: 2_000_000_000,
                issued: 1_767_225_600,
                nonce: String::arbitrary(u)?,
            };
            match signer.issue(&g) {
                Ok(token) => {
                    no_secret(&token);
                    assert!(token.len() <= MAX_GRANT_LEN);
                    assert_eq!(ring.verify(&token, 1_767_225_601), Ok(g));
                }
                // Only a grant too long for any keyring to read is refused.
                Err(e) => assert!(matches!(e, GrantError::Malformed(_)), "{e}"),
            }
        }
        Err(e) => check_error(&e),
    }
    match config::policy(&get) {
        Ok(p) => assert_eq!(
            p.max_size.is_some(),
            get(var::MAX_SIZE).is_some_and(|v| !v.trim().is_empty())
        ),
        Err(e) => check_error(&e),
    }
    match config::grant_defaults(&get) {
        Ok(Some(d)) => assert!(d.max_ttl_s > 0),
        Ok(None) => {}
        Err(e) => check_error(&e),
    }
    match config::webhook(&get) {
        Ok(w) => {
            no_secret(&format!("{w:?}"));
            if let Some(url) = &w.forward_url {
                assert!(url.starts_with("http://") || url.starts_with("https://"));
            }
            let name = get(var::WEBHOOK_SCHEME).unwrap_or_default();
            // Accepted only when the core reads the name.
            assert!(fastio_core::webhook::Scheme::from_config_name(&name).is_ok());
        }
        Err(e) => check_error(&e),
    }
    for o in config::cors_origins(&get) {
        assert!(!o.is_empty() && o == o.trim() && !o.contains(','));
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
