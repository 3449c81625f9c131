//! The devserver's `Range` header parser (`routes/storage/download.rs`, compiled from
//! its source by `build.rs`): any header and length give a range inside the
//! file or none, and well-formed single ranges mean what RFC 9110 says.
#![no_main]

use fastio_core_fuzz::Script;
use fastio_core_fuzz::devserver_storage::parse_range;
use libfuzzer_sys::fuzz_target;

/// What `bytes=<first>-<last>` must select in a file of `len` bytes.
fn expected(first: Option<u64>, last: Option<u64>, len: u64) -> Option<(u64, u64)> {
    match (first, last) {
        (None, Some(n)) => (n > 0 && len > 0).then(|| (len - n.min(len), len - 1)),
        (Some(a), None) => (a < len).then_some((a, len.checked_sub(1)?)),
        (Some(a), Some(b)) => {
            let end = b.min(len.checked_sub(1)?);
            (a <= end && a < len).then_some((a, end))
        }
        (None, None) => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    let len = match s.u8() % 4 {
        0 => 0,
        1 => u64::from(s.u8()),
        2 => u64::from(s.u32()),
        _ => s.u64(),
    };
    if s.flag() {
        // Any text.
        let header = String::from_utf8_lossy(s.rest()).into_owned();
        if let Some((start, end)) = parse_range(&header, len) {
            assert!(
                start <= end && end < len,
                "{header:?} on {len}: {start}-{end}"
            );
            let spec = header.trim().strip_prefix("bytes=");
            assert!(spec.is_some_and(|r| !r.contains(',')), "{header:?}");
        }
    } else {
        // A well-formed range with optional ends and surrounding blanks.
        let first = s.flag().then(|| s.u64() >> (s.u8() % 64));
        let last = s.flag().then(|| s.u64() >> (s.u8() % 64));
        let pad = [" ", "", "\t"][s.u8() as usize % 3];
        let show = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        let header = format!("{pad}bytes={}{pad}-{pad}{}{pad}", show(first), show(last));
        assert_eq!(
            parse_range(&header, len),
            expected(first, last, len),
            "{header:?} on {len}"
        );
    }
});
