//! The `/upload/limits/` answer and the plan built from it
//! (`core/src/upload/plan.rs`): any answer and fallback give a configuration
//! that never loosens the fallback's limits, and every plan made with it is
//! consistent, covers the file exactly, and survives its own serialisation
//! (a resume token carries it).
#![no_main]

use fastio_core::decode::models::UploadLimits;
use fastio_core::decode::{DecodeOptions, decode, decode_as};
use fastio_core::http::HttpResponse;
use fastio_core::upload::plan::{CHUNK_COUNT_CEILING, PlanConfig, PlanError, UploadPlan, plan};
use fastio_core_fuzz::{Script, headers, status};
use libfuzzer_sys::fuzz_target;

fn opt(s: &mut Script) -> Option<u64> {
    s.flag().then(|| s.u64() >> (s.u8() % 64))
}

fn check_plan(size: u64, cfg: &PlanConfig, probe: u64, stream_max: Option<u64>) {
    match plan(size, cfg) {
        Ok(p @ UploadPlan::Single { .. }) => {
            assert_eq!(p.size(), Some(size));
            assert!(size <= cfg.single_request_max);
            assert_eq!(p.chunk_count(), 0);
            assert_eq!(p.chunk(1), None);
            round_trip(&p);
        }
        Ok(
            p @ UploadPlan::Chunked {
                chunk_size,
                chunk_count,
                max_in_flight,
                ..
            },
        ) => {
            assert!(size > cfg.single_request_max);
            assert_eq!(chunk_size, cfg.chunk_size);
            assert_eq!(max_in_flight, cfg.max_in_flight);
            assert_eq!(chunk_count, size.div_ceil(chunk_size));
            assert!(chunk_count <= CHUNK_COUNT_CEILING);
            assert!(cfg.max_chunks.is_none_or(|m| chunk_count <= m));
            assert!(cfg.max_file_size.is_none_or(|m| size <= m));
            // The first chunks, the last, and the chunk at a few offsets.
            let mut end = 0;
            for c in p.chunks().take(16) {
                assert_eq!(c.offset, end);
                assert!(c.len > 0 && c.len <= chunk_size);
                end = c.end();
            }
            let last = p.chunk(chunk_count).expect("the last chunk");
            assert_eq!(last.end(), size);
            assert!(last.len > 0 && last.len <= chunk_size);
            assert_eq!(p.chunk(chunk_count + 1), None);
            assert_eq!(p.chunk(0), None);
            for i in 0..4u64 {
                let at = probe
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(i as u32 * 16)
                    % size;
                let c = p.chunk_at_offset(at).expect("a chunk holds every offset");
                assert!(c.offset <= at && at < c.end());
            }
            assert_eq!(p.chunk_at_offset(size), None);
            round_trip(&p);
        }
        Ok(p) => panic!("a file of known size planned as {p:?}"),
        Err(PlanError::TooLarge { size: got, max }) => {
            assert_eq!(got, size);
            assert!(size > max && cfg.max_file_size == Some(max));
        }
        Err(PlanError::TooManyChunks { chunks, max, .. }) => {
            assert!(chunks > max);
            assert_eq!(chunks, size.div_ceil(cfg.chunk_size));
        }
        Err(_) => {}
    }
    if let Ok(p) = UploadPlan::stream(stream_max, cfg) {
        round_trip(&p);
    }
}

/// A plan the planner made reads back as itself.
fn round_trip(p: &UploadPlan) {
    let json = serde_json::to_string(p).expect("a plan serialises");
    match serde_json::from_str::<UploadPlan>(&json) {
        Ok(back) => assert_eq!(&back, p),
        Err(e) => panic!("the planner made a plan its own reader refuses: {json}: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    let fallback = if s.flag() {
        PlanConfig::default()
    } else {
        PlanConfig {
            single_request_max: s.u64() >> (s.u8() % 64),
            chunk_size: s.u64() >> (s.u8() % 64),
            max_chunks: opt(&mut s),
            max_file_size: opt(&mut s),
            max_in_flight: s.u32() >> (s.u8() % 32),
        }
    };
    let size = s.u64() >> (s.u8() % 64);
    let probe = s.u64();
    let stream_max = opt(&mut s);
    let resp = HttpResponse {
        status: if s.flag() { 200 } else { status(&mut s) },
        headers: headers(&mut s),
        body: s.rest().to_vec(),
    };
    let opts = DecodeOptions::default();
    let _ = decode_as::<UploadLimits>(&resp, &opts);
    let Ok(answer) = decode(&resp, &opts) else {
        return;
    };
    let cfg = PlanConfig::from_limits(&answer.value, &fallback);
    // An answer may tighten limits, never loosen the caller's.
    assert!(cfg.max_in_flight <= fallback.max_in_flight.max(1));
    if let Some(m) = fallback.max_file_size {
        assert!(cfg.max_file_size.is_some_and(|c| c <= m));
    }
    if let Some(m) = fallback.max_chunks {
        assert!(cfg.max_chunks.is_some_and(|c| c <= m));
    }
    if !answer.value.is_object() {
        // An answer that is not an object states nothing.
        assert_eq!(
            cfg,
            PlanConfig::from_limits(&serde_json::json!({}), &fallback)
        );
    }
    check_plan(size, &cfg, probe, stream_max);
    check_plan(size, &fallback, probe, stream_max);
});
