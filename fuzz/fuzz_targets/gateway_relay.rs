//! What the gateway decides about client input through the core's policy
//! (`core/src/policy`): chunk-relay tokens and bodies checked as they stream.
//!
//! - Any token text opens to a usable relay state or a typed refusal.
//! - A state sealed by the gateway opens back as itself while unexpired;
//!   feeding every chunk with its SHA-256 is accepted in order, anything else
//!   (wrong order, length or digest) is refused, and the final digests are
//!   those of the whole file.
//! - A body watch counts every byte, refuses past the size limit and only
//!   there, refuses a short body, and lets through only allowed kinds.
#![no_main]

use fastio_core::policy::{
    FileKind, GrantKey, GrantKeyring, PolicyError, RelayError, RelayState, Sniffer, UploadPolicy,
};
use fastio_core::secret::Secret;
use fastio_core_fuzz::{Script, pattern, sha256_hex};
use libfuzzer_sys::fuzz_target;

const KINDS: &[&str] = &[
    "pdf", "png", "jpeg", "gif", "zip", "docx", "text", "mp4", "exe",
];

fn keys() -> (GrantKey, GrantKeyring) {
    let key = GrantKey::new(Secret::new("gateway-grant-secret-1")).expect("a key");
    let old = GrantKey::new(Secret::new("gateway-grant-secret-0")).expect("a key");
    (key.clone(), GrantKeyring::new(vec![key, old]))
}

fn usable(state: &RelayState, now: u64) {
    assert!(state.size > 0 && state.chunk_size > 0 && state.next > 0);
    assert!(now < state.expires);
}

fn relay(s: &mut Script) {
    let (signer, ring) = keys();
    let now = 1_767_225_600 + u64::from(s.u16());
    let state = if s.flag() {
        let Ok(state) = serde_json::from_slice::<RelayState>(s.blob()) else {
            return;
        };
        state
    } else {
        let id = if s.flag() {
            "up1".to_string()
        } else {
            s.text()
        };
        let size = 1 + u64::from(s.u16());
        let chunk = 1 + u64::from(s.u16()) % size;
        RelayState::new(id, size, chunk, now + u64::from(s.u16()))
    };
    let token = state.seal(&signer);
    match RelayState::open(&ring, &token, now) {
        Ok(back) => {
            usable(&back, now);
            assert_eq!(back, state);
        }
        Err(e) => {
            let valid = state.size > 0 && state.chunk_size > 0 && state.next > 0;
            // Only an expired or inconsistent state, or one too long for a token, is refused.
            assert!(
                !valid || now >= state.expires || token.len() > 2048,
                "a sealed state refused: {e}"
            );
            return;
        }
    }
    if state.next != 1 || state.size > 1 << 20 || state.chunk_count() > 512 {
        return;
    }
    let file = pattern(state.size as usize, s.u8());
    let mut cur = state.clone();
    let mut cheated = false;
    for order in 1..=state.chunk_count() {
        let c = cur.expect(&cur.upload_id, order).expect("the next chunk");
        let mut data = file[c.offset as usize..c.end() as usize].to_vec();
        let mut order_sent = order;
        let mut sha = sha256_hex(&data);
        let lie = s.u8() % 8;
        match lie {
            1 => order_sent += 1,
            2 => order_sent -= 1,
            3 => {
                data.pop();
            }
            4 => sha = sha256_hex(b"other"),
            5 => sha = sha.to_ascii_uppercase(),
            _ => {}
        }
        let honest = matches!(lie, 0 | 5 | 6 | 7);
        match (cur.accept(order_sent, &data, &sha), honest) {
            (Ok((next, crc, digest)), true) => {
                assert_eq!(crc, crc32c::crc32c(&data));
                assert_eq!(next.next, order + 1);
                assert_eq!(digest.is_some(), order == state.chunk_count());
                // The state after each chunk travels as a token too.
                let t = next.seal(&signer);
                cur = RelayState::open(&ring, &t, now).expect("the next token opens");
                assert_eq!(cur, next);
            }
            (Err(e), false) => {
                assert!(matches!(
                    e,
                    RelayError::OutOfOrder { .. }
                        | RelayError::WrongLength { .. }
                        | RelayError::DigestMismatch { .. }
                        | RelayError::AllChunksIn
                ));
                cheated = true;
                break;
            }
            (r, honest) => panic!("chunk {order} (honest: {honest}): {r:?}"),
        }
    }
    if !cheated {
        let d = cur.finished().expect("every chunk is in");
        assert_eq!(d.len, state.size);
        assert_eq!(d.sha256.to_hex(), sha256_hex(&file));
        assert_eq!(d.crc32c, crc32c::crc32c(&file));
        assert!(matches!(
            cur.expect(&cur.upload_id, cur.next),
            Err(RelayError::AllChunksIn)
        ));
    } else {
        assert!(cur.finished().is_err());
    }
}

fn watch(s: &mut Script) {
    let policy = UploadPolicy {
        max_size: s.flag().then(|| u64::from(s.u16())),
        allowed: (0..s.u8() % 3)
            .map(|_| FileKind::from_name(s.pick(KINDS)))
            .collect(),
    };
    let declared = s.flag().then(|| u64::from(s.u16()));
    let mut w = match policy.watch(declared, Sniffer::new()) {
        Ok(w) => w,
        Err(PolicyError::TooLarge { size, max }) => {
            assert_eq!(Some(size), declared);
            assert!(policy.max_size == Some(max) && size > max);
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let mut seen = 0u64;
    while !s.is_empty() {
        let piece = s.blob();
        seen += piece.len() as u64;
        match w.feed(piece) {
            Ok(()) => {
                assert_eq!(w.seen(), seen);
                assert!(policy.max_size.is_none_or(|m| seen <= m));
            }
            Err(PolicyError::TooLarge { size, max }) => {
                assert_eq!((size, Some(max)), (seen, policy.max_size));
                assert!(size > max);
                return;
            }
            Err(PolicyError::TypeNotAllowed { .. }) => {
                assert!(!policy.allowed.is_empty());
                return;
            }
            Err(e) => panic!("{e}"),
        }
    }
    match w.finish() {
        Ok(kind) => {
            assert!(declared.is_none_or(|d| seen >= d));
            if !policy.allowed.is_empty() {
                assert!(kind.is_some_and(|k| policy.allowed.contains(&k)));
            }
        }
        Err(PolicyError::Truncated { declared: d, got }) => {
            assert_eq!((Some(d), got), (declared, seen));
            assert!(got < d);
        }
        Err(PolicyError::TypeNotAllowed { .. }) => assert!(!policy.allowed.is_empty()),
        Err(e) => panic!("{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    match s.u8() % 3 {
        0 => {
            let (_, ring) = keys();
            let token = String::from_utf8_lossy(s.rest()).into_owned();
            if let Ok(state) = RelayState::open(&ring, &token, 1_767_225_600) {
                usable(&state, 1_767_225_600);
            }
        }
        1 => relay(&mut s),
        _ => watch(&mut s),
    }
});
